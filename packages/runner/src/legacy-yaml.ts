import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as yaml from 'js-yaml';
import { type LegacyDefinitions, ON_EVENT_NAMES, type OnEventName, type ScriptDefinition } from './describe-script.js';
import {
  GENERATED_MARKERS,
  generateModelsFile,
  type ParsedModels,
  parseModels,
  parseTypeExpression,
  toJsonSchema,
} from './legacy-models.js';
import { parseFrequency } from './parse-frequency.js';

type Json = Record<string, unknown>;

/** Where an integration's nango.yaml is: inside its directory (Weft's layout) or one up (Nango's project root). */
export function findNangoYaml(integrationDir: string): string | undefined {
  return [path.join(integrationDir, 'nango.yaml'), path.join(integrationDir, '..', 'nango.yaml')].find((f) =>
    existsSync(f),
  );
}

/** A model name, a list or union of them, or any type expression (`boolean`) → JSON Schema. */
function schemaOf(expression: string, models: ParsedModels): object {
  return toJsonSchema(parseTypeExpression(expression, new Set(models.keys())), models);
}

function endpoints(value: unknown): Array<{ method: string; path: string; group?: string }> {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.flatMap((entry) => {
    if (typeof entry === 'string') {
      const [method, route] = entry.trim().split(/\s+/);
      return route ? [{ method: (method ?? 'GET').toUpperCase(), path: route }] : [{ method: 'GET', path: entry }];
    }
    if (typeof entry === 'object' && entry !== null) {
      const e = entry as { method?: string; path?: string; group?: string };
      return [
        {
          method: String(e.method ?? 'GET').toUpperCase(),
          path: String(e.path ?? ''),
          ...(e.group ? { group: e.group } : {}),
        },
      ];
    }
    return [];
  });
}

// `scopes: public_repo` (one string, comma-separated) or a list, as Nango accepts both.
const scopesOf = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [];

const listOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined || value === null ? [] : [String(value)];

/** Nango tells the versions apart by whether the first integration holds syncs/actions/on-events. */
function isV2(integrations: Record<string, Json>): boolean {
  const first = Object.values(integrations)[0];
  return first !== undefined && ('syncs' in first || 'actions' in first || 'on-events' in first);
}

interface LoadedYaml {
  file: string;
  models: ParsedModels;
  /** Per integration key: its syncs, actions and event scripts in v2 shape. */
  integrations: Record<string, { syncs: Record<string, Json>; actions: Record<string, Json>; config: Json }>;
}

async function loadYaml(file: string): Promise<LoadedYaml> {
  const doc = (yaml.load(await readFile(file, 'utf8')) ?? {}) as Json;
  const models = parseModels((doc.models ?? {}) as Record<string, unknown>);
  const raw = (doc.integrations ?? {}) as Record<string, Json>;
  const integrations: LoadedYaml['integrations'] = {};
  const v2 = isV2(raw);
  for (const [key, config] of Object.entries(raw)) {
    if (v2) {
      integrations[key] = {
        syncs: (config.syncs ?? {}) as Record<string, Json>,
        actions: (config.actions ?? {}) as Record<string, Json>,
        config,
      };
      continue;
    }
    // v1: scripts directly under the integration, `type: sync | action`, `returns` for the output.
    const syncs: Record<string, Json> = {};
    const actions: Record<string, Json> = {};
    for (const [name, script] of Object.entries(config as Record<string, Json>)) {
      const v2Shape = { ...script, output: script.returns, sync_type: 'incremental' };
      if (script.type === 'action') actions[name] = v2Shape;
      else syncs[name] = v2Shape;
    }
    integrations[key] = { syncs, actions, config: {} };
  }
  return { file, models, integrations };
}

/**
 * Definitions of legacy scripts (`export default async function fetchData(nango)`) from the
 * integration's nango.yaml, both versions Nango accepts: models DSL → JSON Schema, sync options,
 * actions, event scripts.
 */
export async function legacyDefinitions(integrationDir: string): Promise<LegacyDefinitions> {
  const out: LegacyDefinitions = new Map();
  const file = findNangoYaml(integrationDir);
  if (file === undefined) return out;
  const { models, integrations } = await loadYaml(file);
  const key = path.basename(integrationDir);
  const entry = integrations[key] ?? Object.values(integrations)[0];
  if (entry === undefined) return out;
  for (const [name, raw] of Object.entries(entry.syncs)) {
    const outputs = listOf(raw.output);
    const frequency = String(raw.runs ?? 'every day');
    const definition: ScriptDefinition = {
      kind: 'sync',
      legacy: true,
      description: String(raw.description ?? '').trim(),
      version: String(raw.version ?? '0.0.1'),
      frequency,
      frequencySeconds: parseFrequency(frequency),
      autoStart: raw.auto_start !== false,
      syncType: raw.sync_type === 'full' ? 'full' : 'incremental',
      trackDeletes: raw.track_deletes === true,
      endpoints: endpoints(raw.endpoint ?? raw.endpoints),
      scopes: scopesOf(raw.scopes),
      models: Object.fromEntries(outputs.map((model) => [model, schemaOf(model, models)])),
      metadataSchema: raw.input ? schemaOf(String(raw.input), models) : null,
      checkpointSchema: null,
      ...(raw['webhook-subscriptions'] ? { webhookSubscriptions: listOf(raw['webhook-subscriptions']) } : {}),
      // Weft's own key: this sync's record validation policy.
      ...(raw.validation === 'warn' || raw.validation === 'reject' || raw.validation === 'off'
        ? { validation: raw.validation }
        : {}),
    };
    out.set(`sync:${name}`, definition);
  }
  for (const [name, raw] of Object.entries(entry.actions)) {
    out.set(`action:${name}`, {
      kind: 'action',
      legacy: true,
      description: String(raw.description ?? '').trim(),
      version: String(raw.version ?? '0.0.1'),
      endpoint: endpoints(raw.endpoint)[0] ?? null,
      scopes: scopesOf(raw.scopes),
      inputSchema: raw.input ? schemaOf(String(raw.input), models) : null,
      outputSchema: raw.output ? schemaOf(listOf(raw.output).join(' | '), models) : null,
    });
  }
  // `on-events: { <event>: [script, …] }`, and the older `post-connection-scripts: [script, …]`.
  const onEvents = (entry.config['on-events'] ?? {}) as Record<string, unknown>;
  const eventScripts: Array<[string, string]> = [
    ...Object.entries(onEvents).flatMap(([event, names]) => listOf(names).map((n): [string, string] => [event, n])),
    ...listOf(entry.config['post-connection-scripts']).map((n): [string, string] => ['post-connection-creation', n]),
  ];
  for (const [event, name] of eventScripts) {
    if (!(ON_EVENT_NAMES as readonly string[]).includes(event)) continue;
    out.set(`on-event:${name}`, {
      kind: 'on-event',
      legacy: true,
      description: '',
      version: '0.0.1',
      event: event as OnEventName,
    });
  }
  return out;
}

/**
 * Write `models.ts` beside a project-level nango.yaml (Nango's layout: nango.yaml at the root,
 * one folder per integration), as Nango's CLI does, so legacy scripts' `../../models` imports
 * compile. A nango.yaml inside the integration folder (Weft's layout, scripts import from
 * 'nango') gets none. A models.ts without the generated header is the user's own and left alone.
 * Returns the file's path, or undefined when nothing is generated.
 */
export async function writeLegacyModelsFile(integrationDir: string): Promise<string | undefined> {
  const file = findNangoYaml(integrationDir);
  if (file === undefined || path.dirname(file) === path.resolve(integrationDir)) return undefined;
  const loaded = await loadYaml(file);
  const target = path.join(path.dirname(file), 'models.ts');
  if (existsSync(target)) {
    const current = await readFile(target, 'utf8');
    if (!GENERATED_MARKERS.some((m) => current.includes(m))) return target;
  }
  const flows = Object.entries(loaded.integrations).map(([providerConfigKey, i]) => ({
    providerConfigKey,
    syncs: Object.keys(i.syncs),
    actions: Object.keys(i.actions),
  }));
  const content = generateModelsFile(loaded.models, flows);
  const current = existsSync(target) ? await readFile(target, 'utf8') : undefined;
  if (current !== content) await writeFile(target, content);
  return target;
}
