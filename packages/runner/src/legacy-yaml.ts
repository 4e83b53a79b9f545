import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as yaml from 'js-yaml';
import { type LegacyDefinitions, ON_EVENT_NAMES, type OnEventName, type ScriptDefinition } from './describe-script.js';
import { parseFrequency } from './parse-frequency.js';

type Json = Record<string, unknown>;

/** One type expression of Nango's model DSL (`string | null`, `User[]`, `'a' | 'b'`, …) → JSON Schema. */
function typeSchema(expression: string, models: Record<string, unknown>, seen: Set<string>): Json {
  const parts = expression
    .split('|')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length > 1) return { anyOf: parts.map((p) => typeSchema(p, models, seen)) };
  const part = parts[0] ?? 'any';
  if (part.endsWith('[]')) return { type: 'array', items: typeSchema(part.slice(0, -2), models, seen) };
  if (/^'.*'$|^".*"$/.test(part)) return { const: part.slice(1, -1) };
  switch (part.toLowerCase()) {
    case 'string':
      return { type: 'string' };
    case 'number':
    case 'integer':
      return { type: 'number' };
    case 'boolean':
    case 'bool':
      return { type: 'boolean' };
    case 'date':
      return { type: 'string' };
    case 'null':
      return { type: 'null' };
    case 'undefined':
    case 'any':
    case 'object':
    case 'unknown':
      return {};
  }
  const model = models[part];
  if (model !== undefined && !seen.has(part)) return objectSchema(model as Json, models, new Set([...seen, part]));
  if (/^\d+(\.\d+)?$/.test(part)) return { const: Number(part) };
  return {};
}

function objectSchema(fields: Json, models: Record<string, unknown>, seen: Set<string>): Json {
  const properties: Record<string, Json> = {};
  const required: string[] = [];
  let additional: Json | undefined;
  const own = { ...fields };
  const base = own.__extends;
  delete own.__extends;
  let merged: Json = {};
  if (typeof base === 'string') {
    for (const name of base.split(',').map((n) => n.trim()))
      merged = { ...merged, ...((models[name] as Json | undefined) ?? {}) };
  }
  merged = { ...merged, ...own };
  for (const [rawName, value] of Object.entries(merged)) {
    if (rawName === '__extends') continue;
    if (rawName === '__string') {
      additional = typeof value === 'string' ? typeSchema(value, models, seen) : {};
      continue;
    }
    const optional = rawName.endsWith('?');
    const name = optional ? rawName.slice(0, -1) : rawName;
    properties[name] =
      typeof value === 'string'
        ? typeSchema(value, models, seen)
        : typeof value === 'object' && value !== null
          ? objectSchema(value as Json, models, seen)
          : {};
    if (!optional) required.push(name);
  }
  return { type: 'object', properties, required, ...(additional ? { additionalProperties: additional } : {}) };
}

function endpoints(value: unknown): Array<{ method: string; path: string }> {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.flatMap((entry) => {
    if (typeof entry === 'string') {
      const [method, route] = entry.trim().split(/\s+/);
      return route ? [{ method: (method ?? 'GET').toUpperCase(), path: route }] : [{ method: 'GET', path: entry }];
    }
    if (typeof entry === 'object' && entry !== null) return [entry as { method: string; path: string }];
    return [];
  });
}

/**
 * Definitions of legacy scripts (`export default async function fetchData(nango)`) from the
 * integration's nango.yaml (Nango v2 format): models DSL → JSON Schema, sync options, actions.
 */
export async function legacyDefinitions(integrationDir: string): Promise<LegacyDefinitions> {
  const out: LegacyDefinitions = new Map();
  const file = [path.join(integrationDir, 'nango.yaml'), path.join(integrationDir, '..', 'nango.yaml')].find((f) =>
    existsSync(f),
  );
  if (file === undefined) return out;
  const doc = (yaml.load(await readFile(file, 'utf8')) ?? {}) as Json;
  const models = (doc.models ?? {}) as Record<string, unknown>;
  const integrations = (doc.integrations ?? {}) as Record<string, Json>;
  const key = path.basename(integrationDir);
  const config = integrations[key] ?? Object.values(integrations)[0] ?? {};
  for (const [name, raw] of Object.entries((config.syncs ?? {}) as Record<string, Json>)) {
    const outputs = Array.isArray(raw.output) ? (raw.output as string[]) : raw.output ? [String(raw.output)] : [];
    const frequency = String(raw.runs ?? 'every day');
    const definition: ScriptDefinition = {
      kind: 'sync',
      legacy: true,
      description: String(raw.description ?? ''),
      version: String(raw.version ?? '0.0.1'),
      frequency,
      frequencySeconds: parseFrequency(frequency),
      autoStart: raw.auto_start !== false,
      syncType: raw.sync_type === 'full' ? 'full' : 'incremental',
      trackDeletes: raw.track_deletes === true,
      endpoints: endpoints(raw.endpoint),
      scopes: (raw.scopes as string[] | undefined) ?? [],
      models: Object.fromEntries(outputs.map((model) => [model, typeSchema(model, models, new Set())])),
      metadataSchema: raw.input ? typeSchema(String(raw.input), models, new Set()) : null,
      checkpointSchema: null,
    };
    out.set(`sync:${name}`, definition);
  }
  for (const [name, raw] of Object.entries((config.actions ?? {}) as Record<string, Json>)) {
    out.set(`action:${name}`, {
      kind: 'action',
      legacy: true,
      description: String(raw.description ?? ''),
      version: String(raw.version ?? '0.0.1'),
      endpoint: endpoints(raw.endpoint)[0] ?? null,
      scopes: (raw.scopes as string[] | undefined) ?? [],
      inputSchema: raw.input ? typeSchema(String(raw.input), models, new Set()) : null,
      outputSchema: raw.output ? typeSchema(String(raw.output), models, new Set()) : null,
    });
  }
  // `on-events: { <event>: [script, …] }`, and the older `post-connection-scripts: [script, …]`.
  const onEvents = (config['on-events'] ?? {}) as Record<string, unknown>;
  const postConnection = Array.isArray(config['post-connection-scripts']) ? config['post-connection-scripts'] : [];
  const eventScripts: Array<[string, unknown]> = [
    ...Object.entries(onEvents).flatMap(([event, names]) =>
      (Array.isArray(names) ? names : [names]).map((n): [string, unknown] => [event, n]),
    ),
    ...postConnection.map((n): [string, unknown] => ['post-connection-creation', n]),
  ];
  for (const [event, name] of eventScripts) {
    if (!(ON_EVENT_NAMES as readonly string[]).includes(event)) continue;
    out.set(`on-event:${String(name)}`, {
      kind: 'on-event',
      legacy: true,
      description: '',
      version: '0.0.1',
      event: event as OnEventName,
    });
  }
  return out;
}
