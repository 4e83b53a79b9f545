import { randomUUID } from 'node:crypto';
import type { AuthService, ConnectionRecord } from '@weft/auth';
import { isWeftError } from '@weft/core';
import type { ConnectionRowId, Pool } from '@weft/db';
import type { OutboundProxy } from '@weft/proxy';
import type { RecordStore } from '@weft/records';
import type { CheckpointStore } from './checkpoint-store.js';
import { findOnEventScripts } from './deploy-store.js';
import type { OnEventName } from './describe-script.js';
import { runnerErrors } from './errors.js';
import { createHostBridge } from './host-bridge.js';
import type { RunLog } from './runner.js';
import { runInSandbox, type SandboxLimits } from './sandbox.js';
import { INSERT_ON_EVENT_RUN } from './sql.js';

export interface OnEventRunRequest {
  environmentId: number;
  connection: { id: ConnectionRowId; providerConfigKey: string; connectionId: string };
  event: OnEventName;
}

export interface OnEventRunResult {
  script: string;
  status: 'success' | 'failed';
  error?: { code: string; message: string };
  logs: RunLog[];
}

export interface OnEventDeps {
  pool: Pool;
  /** Where nango.*Checkpoint goes (the scheduler's store). */
  checkpoints: CheckpointStore;
  proxy: OutboundProxy;
  records: RecordStore;
  auth: AuthService;
  limits?: Partial<SandboxLimits>;
}

const MAX_LOGS = 500;

/**
 * Run every deployed event script of the integration for this event, one after the other, each
 * in a fresh sandbox with the connection's scope (the same bridge as syncs and actions: its
 * proxy, metadata and connection only). Each run is logged in `on_event_runs`; failures are
 * returned, never thrown, so the caller decides what a failure means for its event.
 */
export async function runOnEventScripts(deps: OnEventDeps, request: OnEventRunRequest): Promise<OnEventRunResult[]> {
  const scripts = await findOnEventScripts(
    deps.pool,
    request.environmentId,
    request.connection.providerConfigKey,
    request.event,
  );
  const results: OnEventRunResult[] = [];
  for (const script of scripts) {
    const startedAt = new Date().toISOString();
    const logs: RunLog[] = [];
    const onLog = (level: string, message: string) => {
      if (logs.length < MAX_LOGS) logs.push({ level, message: message.slice(0, 10_000), at: new Date().toISOString() });
    };
    const signal = new AbortController().signal;
    let result: OnEventRunResult;
    try {
      await runInSandbox({
        name: script.name,
        // The sandbox runs an event script like an action without input: exec(nango) or the legacy function(nango).
        kind: 'action',
        bundle: script.bundle,
        sourceMap: script.sourceMap,
        env: {
          connectionId: request.connection.connectionId,
          providerConfigKey: request.connection.providerConfigKey,
          lastSyncDate: null,
        },
        host: createHostBridge({
          pool: deps.pool,
          checkpoints: deps.checkpoints,
          proxy: deps.proxy,
          records: deps.records,
          auth: deps.auth,
          runId: randomUUID(),
          connection: { ...request.connection, environmentId: request.environmentId },
          scriptName: script.name,
          variant: 'base',
          definition: script.definition,
          validation: 'reject',
          maxBatchRecords: 10_000,
          counts: {},
          onLog,
          signal,
        }),
        onLog,
        ...(deps.limits ? { limits: deps.limits } : {}),
        signal,
      });
      result = { script: script.name, status: 'success', logs };
    } catch (error) {
      const code = isWeftError(error) ? error.code : 'WEFT_RUNNER_SCRIPT_FAILED';
      // The script's own words (an ActionError's or Error's message), as Nango shows them.
      const details = isWeftError(error)
        ? (error.details as { payload?: { message?: unknown } } | undefined)
        : undefined;
      const raw = (error as Error).message;
      const message =
        typeof details?.payload?.message === 'string'
          ? details.payload.message
          : raw.replace(new RegExp(`^${script.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed: `), '');
      logs.push({ level: 'error', message: `${code}: ${raw}`, at: new Date().toISOString() });
      result = { script: script.name, status: 'failed', error: { code, message }, logs };
    }
    await deps.pool.query(INSERT_ON_EVENT_RUN, [
      randomUUID(),
      request.environmentId,
      request.connection.providerConfigKey,
      request.connection.connectionId,
      request.event,
      script.name,
      result.status,
      result.error ? JSON.stringify(result.error) : null,
      JSON.stringify(logs),
      startedAt,
    ]);
    results.push(result);
  }
  return results;
}

/** What the auth service calls around a connection's life (see AuthService.setConnectionHooks). */
export interface ConnectionEventHooks {
  validate(connection: ConnectionRecord): Promise<void>;
  created(connection: ConnectionRecord): Promise<void>;
  deleting(connection: ConnectionRecord): Promise<void>;
}

/**
 * Nango's event scripts wired to the connection lifecycle: `validate-connection` refuses the
 * connection (WEFT_RUNNER_CONNECTION_REFUSED with the script's message) when it fails,
 * `post-connection-creation` runs once the connection exists, `pre-connection-deletion` runs
 * while the connection and its records are still there. Failures of the latter two are logged
 * in the run log and do not stop the connection's creation or deletion (as in Nango).
 */
export function connectionEventHooks(deps: OnEventDeps): ConnectionEventHooks {
  const run = (connection: ConnectionRecord, event: OnEventName) =>
    runOnEventScripts(deps, {
      environmentId: connection.environmentId,
      connection: {
        id: connection.id,
        providerConfigKey: connection.providerConfigKey,
        connectionId: connection.connectionId,
      },
      event,
    });
  return {
    async validate(connection) {
      const failed = (await run(connection, 'validate-connection')).find((r) => r.status === 'failed');
      if (failed)
        throw runnerErrors.create(
          'WEFT_RUNNER_CONNECTION_REFUSED',
          { name: failed.script, message: failed.error?.message ?? 'refused' },
          { script: failed.script, cause_code: failed.error?.code },
        );
    },
    async created(connection) {
      await run(connection, 'post-connection-creation');
    },
    async deleting(connection) {
      await run(connection, 'pre-connection-deletion');
    },
  };
}
