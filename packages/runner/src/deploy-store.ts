import { integrationRowId } from '@weft/auth';
import type { Pool, PoolClient } from '@weft/db';
import { withAdvisoryLock } from '@weft/db';
import { registerModels } from '@weft/records';
import type { CompiledScript } from './compile.js';
import type { OnEventName, ScriptDefinition, ScriptKind, SyncScriptDefinition } from './describe-script.js';
import { runnerErrors } from './errors.js';
import { PREVIOUS_DEPLOYMENT } from './sql.js';

export interface DeployedScript {
  deploymentId: number;
  version: number;
  kind: ScriptKind;
  name: string;
  file: string;
  bundle: string;
  sourceMap: string;
  definition: ScriptDefinition;
}

export interface DeployDiff {
  addedSyncs: string[];
  removedSyncs: string[];
  changedSyncs: string[];
  addedActions: string[];
  removedActions: string[];
  changedActions: string[];
  /** Event scripts (createOnEvent / nango.yaml on-events). */
  addedOnEvents: string[];
  removedOnEvents: string[];
  changedOnEvents: string[];
  removedModels: string[];
  /** Removing syncs or models drops data consumers may rely on: needs `force`. */
  destructive: boolean;
}

export interface DeployResult {
  version: number | null;
  diff: DeployDiff;
  applied: boolean;
}

/** What the scheduler needs to know about each sync of a deployment. */
export interface DeployedSync {
  environmentId: number;
  integrationId: number;
  providerConfigKey: string;
  syncName: string;
  frequencySeconds: number;
  frequency: string;
  autoStart: boolean;
  models: string[];
  version: string;
}

/** The scheduler's view of one deployed sync script (undefined for actions). */
export function deployedSyncOf(
  environmentId: number,
  integrationId: number,
  providerConfigKey: string,
  script: { name: string; definition: ScriptDefinition },
): DeployedSync | undefined {
  const d = script.definition;
  if (d.kind !== 'sync') return undefined;
  return {
    environmentId,
    integrationId,
    providerConfigKey,
    syncName: script.name,
    frequencySeconds: d.frequencySeconds,
    frequency: d.frequency,
    autoStart: d.autoStart,
    models: Object.keys(d.models),
    version: d.version,
  };
}

// Integrations are auth's: these lookups run on every run and connection event, so they join the
// view auth publishes (`integration_refs`, inlined by Postgres) rather than taking a round trip.
const ACTIVE = `
SELECT s.kind, s.name, s.file, s.bundle, s.source_map, s.definition, d.id AS deployment_id, d.version
FROM deployments d JOIN deployed_scripts s ON s.deployment_id = d.id
JOIN integration_refs i ON i.id = d.integration_id
WHERE d.active AND i.environment_id = $1 AND i.unique_key = $2`;

interface Row {
  kind: ScriptKind;
  name: string;
  file: string;
  bundle: string;
  source_map: string;
  definition: ScriptDefinition;
  deployment_id: number;
  version: number;
}

const toScript = (row: Row): DeployedScript => ({
  deploymentId: row.deployment_id,
  version: row.version,
  kind: row.kind,
  name: row.name,
  file: row.file,
  bundle: row.bundle,
  sourceMap: row.source_map,
  definition: row.definition,
});

export async function activeScripts(
  db: Pool | PoolClient,
  environmentId: number,
  providerConfigKey: string,
): Promise<DeployedScript[]> {
  const { rows } = await db.query<Row>(ACTIVE, [environmentId, providerConfigKey]);
  return rows.map(toScript);
}

const ACTIVE_DEPLOYMENT = `
SELECT d.id AS deployment_id
FROM deployments d JOIN deployed_scripts s ON s.deployment_id = d.id
JOIN integration_refs i ON i.id = d.integration_id
WHERE d.active AND i.environment_id = $1 AND i.unique_key = $2 AND s.kind = $3 AND s.name = $4`;

const SCRIPT_OF_DEPLOYMENT = `
SELECT s.kind, s.name, s.file, s.bundle, s.source_map, s.definition, d.id AS deployment_id, d.version
FROM deployments d JOIN deployed_scripts s ON s.deployment_id = d.id
WHERE d.id = $1 AND s.kind = $2 AND s.name = $3`;

// A deployed script never changes (deploys and rollbacks switch which deployment is active), so
// its bundle and source map — often a megabyte with zod inside — are read once per process, not
// on every run: that read was a third of trigger → script start. Per pool: ids are per database.
const scriptCache = new WeakMap<Pool, Map<string, DeployedScript>>();
const SCRIPT_CACHE_SIZE = 200;

/** The active deployment's script: one small query, the artifact itself from the cache. */
export async function findScript(
  pool: Pool,
  environmentId: number,
  providerConfigKey: string,
  kind: ScriptKind,
  name: string,
): Promise<DeployedScript> {
  const { rows } = await pool.query<{ deployment_id: number }>(ACTIVE_DEPLOYMENT, [
    environmentId,
    providerConfigKey,
    kind,
    name,
  ]);
  const deploymentId = rows[0]?.deployment_id;
  if (deploymentId === undefined)
    throw runnerErrors.create('WEFT_RUNNER_SCRIPT_NOT_FOUND', { kind, name, providerConfigKey });
  let cache = scriptCache.get(pool);
  if (cache === undefined) {
    cache = new Map();
    scriptCache.set(pool, cache);
  }
  const key = `${deploymentId}\u0000${kind}\u0000${name}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const full = await pool.query<Row>(SCRIPT_OF_DEPLOYMENT, [deploymentId, kind, name]);
  const row = full.rows[0];
  if (row === undefined) throw runnerErrors.create('WEFT_RUNNER_SCRIPT_NOT_FOUND', { kind, name, providerConfigKey });
  const script = toScript(row);
  if (cache.size >= SCRIPT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(key, script);
  return script;
}

/**
 * The active deployment's event scripts for one event, in name order (Nango runs every script
 * registered for the event). Empty when the integration has none or nothing is deployed.
 */
export async function findOnEventScripts(
  pool: Pool,
  environmentId: number,
  providerConfigKey: string,
  event: OnEventName,
): Promise<DeployedScript[]> {
  const { rows } = await pool.query<Row>(
    `${ACTIVE} AND s.kind = 'on-event' AND s.definition->>'event' = $3 ORDER BY s.name`,
    [environmentId, providerConfigKey, event],
  );
  return rows.map(toScript);
}

function diffOf(current: DeployedScript[], next: CompiledScript[]): DeployDiff {
  const names = (list: Array<{ kind: string; name: string }>, kind: string) =>
    new Set(list.filter((s) => s.kind === kind).map((s) => s.name));
  const before = {
    sync: names(current, 'sync'),
    action: names(current, 'action'),
    'on-event': names(current, 'on-event'),
  };
  const after = { sync: names(next, 'sync'), action: names(next, 'action'), 'on-event': names(next, 'on-event') };
  const changed = (kind: ScriptKind) =>
    next
      .filter((s) => s.kind === kind && before[kind].has(s.name))
      .filter((s) => current.find((c) => c.kind === kind && c.name === s.name)?.bundle !== s.bundle)
      .map((s) => s.name);
  const modelsOf = (list: Array<{ kind: string; definition: ScriptDefinition }>) =>
    new Set(
      list.filter((s) => s.kind === 'sync').flatMap((s) => Object.keys((s.definition as SyncScriptDefinition).models)),
    );
  const removedModels = [...modelsOf(current)].filter((m) => !modelsOf(next).has(m));
  const removedSyncs = [...before.sync].filter((n) => !after.sync.has(n));
  return {
    addedSyncs: [...after.sync].filter((n) => !before.sync.has(n)),
    removedSyncs,
    changedSyncs: changed('sync'),
    addedActions: [...after.action].filter((n) => !before.action.has(n)),
    removedActions: [...before.action].filter((n) => !after.action.has(n)),
    changedActions: changed('action'),
    addedOnEvents: [...after['on-event']].filter((n) => !before['on-event'].has(n)),
    removedOnEvents: [...before['on-event']].filter((n) => !after['on-event'].has(n)),
    changedOnEvents: changed('on-event'),
    removedModels,
    destructive: removedSyncs.length > 0 || removedModels.length > 0,
  };
}

/**
 * Store a new version of an integration's scripts (all or nothing, serialised per integration).
 * `dryRun` only returns the diff; destructive changes need `force`. Registers each model's JSON
 * Schema with the records store in the same transaction.
 */
export async function deployScripts(
  pool: Pool,
  environmentId: number,
  providerConfigKey: string,
  scripts: CompiledScript[],
  options: { force?: boolean; dryRun?: boolean } = {},
): Promise<DeployResult & { syncs: DeployedSync[] }> {
  return withAdvisoryLock(pool, `weft:deploy:${environmentId}:${providerConfigKey}`, async (client) => {
    const integrationId = await integrationRowId(client, environmentId, providerConfigKey);
    if (integrationId === undefined)
      throw runnerErrors.create('WEFT_RUNNER_SCRIPT_NOT_FOUND', {
        kind: 'integration',
        name: providerConfigKey,
        providerConfigKey,
      });
    const current = await activeScripts(client, environmentId, providerConfigKey);
    const diff = diffOf(current, scripts);
    if (options.dryRun || (diff.destructive && !options.force))
      return { version: null, diff, applied: false, syncs: [] };
    const { rows: versions } = await client.query<{ next: number }>(
      'SELECT coalesce(max(version), 0) + 1 AS next FROM deployments WHERE integration_id = $1',
      [integrationId],
    );
    const version = versions[0]?.next ?? 1;
    await client.query('UPDATE deployments SET active = false WHERE integration_id = $1 AND active', [integrationId]);
    const { rows: created } = await client.query<{ id: number }>(
      'INSERT INTO deployments (environment_id, integration_id, version, summary) VALUES ($1, $2, $3, $4) RETURNING id',
      [environmentId, integrationId, version, JSON.stringify(diff)],
    );
    const deploymentId = created[0]?.id;
    for (const script of scripts) {
      await client.query(
        'INSERT INTO deployed_scripts (deployment_id, kind, name, file, bundle, source_map, sources, definition) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [
          deploymentId,
          script.kind,
          script.name,
          script.file,
          script.bundle,
          script.sourceMap,
          JSON.stringify(script.sources),
          JSON.stringify(script.definition),
        ],
      );
    }
    const models: Record<string, object> = {};
    for (const script of scripts)
      if (script.definition.kind === 'sync') Object.assign(models, script.definition.models);
    await registerModels(client, integrationId, models);
    const syncs = scripts.flatMap((s) => {
      const deployed = deployedSyncOf(environmentId, integrationId, providerConfigKey, s);
      return deployed ? [deployed] : [];
    });
    return { version, diff, applied: true, syncs };
  });
}

/** Make the previous version active again (and its models). */
export async function rollback(pool: Pool, environmentId: number, providerConfigKey: string): Promise<number> {
  return withAdvisoryLock(pool, `weft:deploy:${environmentId}:${providerConfigKey}`, async (client) => {
    // No integration by that key: NULL matches no deployment, so the same refusal follows.
    const integrationId = (await integrationRowId(client, environmentId, providerConfigKey)) ?? null;
    const { rows } = await client.query<{ id: number; version: number; integration_id: number }>(PREVIOUS_DEPLOYMENT, [
      integrationId,
    ]);
    const previous = rows[0];
    if (previous === undefined)
      throw runnerErrors.create('WEFT_RUNNER_SCRIPT_NOT_FOUND', {
        kind: 'previous deployment of',
        name: providerConfigKey,
        providerConfigKey,
      });
    await client.query('UPDATE deployments SET active = false WHERE integration_id = $1 AND active', [
      previous.integration_id,
    ]);
    await client.query('UPDATE deployments SET active = true WHERE id = $1', [previous.id]);
    const scripts = await activeScripts(client, environmentId, providerConfigKey);
    const models: Record<string, object> = {};
    for (const script of scripts)
      if (script.definition.kind === 'sync') Object.assign(models, script.definition.models);
    await registerModels(client, previous.integration_id, models);
    return previous.version;
  });
}
