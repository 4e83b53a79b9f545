import {
  type ConnectionRowId,
  type OperationEntry,
  type OperationQuery,
  type Pool,
  type PoolClient,
  queryOperations,
  withTransaction,
} from '@weft/db';
import { enqueueWebhookEvent, type WebhookEventInput } from '@weft/records';
import * as sql from './sql/action-runs.js';

/** An action run as GET /action/:id reads it. */
export interface ActionRun {
  id: string;
  actionName: string;
  /** `queued`: accepted, waiting for a process of the fleet with a free action slot. */
  status: 'queued' | 'running' | 'success' | 'failed';
  output: unknown;
  /** The failure as stored (`{ code, message, details }`), null unless failed. */
  error: { code?: unknown; message?: unknown; [key: string]: unknown } | null;
  /** Postgres timestamptz text. */
  createdAt: string;
  finishedAt: string | null;
}

interface ActionRunRow {
  id: string;
  action_name: string;
  status: ActionRun['status'];
  output: unknown;
  error: ActionRun['error'];
  created_at: string;
  finished_at: string | null;
}

function fromRow(row: ActionRunRow): ActionRun {
  return {
    id: row.id,
    actionName: row.action_name,
    status: row.status,
    output: row.output,
    error: row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

export interface ActionRunStart {
  id: string;
  environmentId: number;
  connectionRowId: ConnectionRowId;
  actionName: string;
  /** `X-Async: true`: the caller polls GET /action/:id. */
  async: boolean;
  startedAt: string;
  /** The process running it (`host:pid`), when it has a name. */
  workerId?: string;
}

/** Records an async run as running in this process (its caller may poll it from now on). */
export async function startActionRun(pool: Pool, run: ActionRunStart): Promise<void> {
  await pool.query(sql.START_ACTION_RUN, [
    run.id,
    run.environmentId,
    run.connectionRowId,
    run.actionName,
    run.async,
    run.startedAt,
    run.workerId ?? null,
  ]);
}

/** Records an async run as queued, inside the transaction that inserts its job and wakes the fleet. */
export async function queueActionRun(
  client: PoolClient,
  run: Omit<ActionRunStart, 'async' | 'workerId'>,
): Promise<void> {
  await client.query(sql.QUEUE_ACTION_RUN, [
    run.id,
    run.environmentId,
    run.connectionRowId,
    run.actionName,
    run.startedAt,
  ]);
  await client.query(sql.NOTIFY_ACTION_QUEUED);
}

/** Takes a queued run for `workerId` (inside its job's fetch transaction); false when it is no longer queued. */
export async function claimActionRun(client: PoolClient, id: string, workerId: string): Promise<boolean> {
  const { rowCount } = await client.query(sql.CLAIM_ACTION_RUN, [id, workerId]);
  return (rowCount ?? 0) > 0;
}

export type ActionRunOutcome =
  | { status: 'success'; output: unknown; logs: unknown[] }
  | { status: 'failed'; error: unknown; logs: unknown[] };

/** Ends a started run, inside the caller's transaction (its webhook commits with it). */
export async function finishActionRun(client: PoolClient, id: string, outcome: ActionRunOutcome): Promise<void> {
  await client.query(sql.FINISH_ACTION_RUN, [
    id,
    outcome.status,
    outcome.status === 'success' ? JSON.stringify(outcome.output ?? null) : null,
    outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
    JSON.stringify(outcome.logs),
  ]);
}

/** A synchronous run, written once when it ended (the operation log shows it; GET /action/:id does not). */
export async function recordActionRun(
  pool: Pool,
  run: Omit<ActionRunStart, 'async'>,
  outcome: { status: 'success'; logs: unknown[] } | { status: 'failed'; error: unknown; logs: unknown[] },
): Promise<void> {
  await pool.query(sql.RECORD_ACTION_RUN, [
    run.id,
    run.environmentId,
    run.connectionRowId,
    run.actionName,
    outcome.status,
    run.startedAt,
    outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
    JSON.stringify(outcome.logs),
  ]);
}

/** An async run of the environment, or undefined. */
export async function getAsyncActionRun(pool: Pool, environmentId: number, id: string): Promise<ActionRun | undefined> {
  const { rows } = await pool.query<ActionRunRow>(sql.ASYNC_ACTION_RUN, [id, environmentId]);
  return rows[0] === undefined ? undefined : fromRow(rows[0]);
}

/** Marks the given running async runs alive. */
export async function heartbeatActionRuns(pool: Pool, ids: string[]): Promise<void> {
  if (ids.length > 0) await pool.query(sql.HEARTBEAT_ACTION_RUNS, [ids]);
}

/**
 * Fails async runs without a heartbeat for `timeoutSeconds` (WEFT_RUNNER_ACTION_LOST) and queues
 * Nango's `async_action` webhook for each in the same transaction, as a finished run does: a
 * consumer waiting for the webhook learns the run ended instead of waiting forever. Returns their ids.
 */
export async function reapActionRuns(pool: Pool, timeoutSeconds: number): Promise<string[]> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{
      id: string;
      environment_id: number;
      connection_id: string;
      provider_config_key: string;
    }>(sql.REAP_ACTION_RUNS, [timeoutSeconds]);
    for (const run of rows)
      await enqueueWebhookEvent(
        client,
        asyncActionEvent(run.environment_id, {
          id: run.id,
          connectionId: run.connection_id,
          providerConfigKey: run.provider_config_key,
        }),
      );
    return rows.map((r) => r.id);
  });
}

/** Nango's `async_action` webhook for a run that ended: where to fetch its result. */
export function asyncActionEvent(
  environmentId: number,
  run: { id: string; connectionId: string; providerConfigKey: string },
): WebhookEventInput {
  return {
    environmentId,
    type: 'async_action',
    payload: {
      from: 'nango',
      connectionId: run.connectionId,
      providerConfigKey: run.providerConfigKey,
      payload: { id: run.id, statusUrl: `/action/${run.id}` },
    },
  };
}

/** Action runs as operation-log lines. */
export function listActionRunOperations(pool: Pool, q: OperationQuery): Promise<OperationEntry[]> {
  return queryOperations(pool, sql.ACTION_RUN_OPERATIONS, q);
}

/** Deletes one slice of finished action runs created before `cutoff`; returns how many. */
export async function pruneActionRunsSlice(pool: Pool, cutoff: Date, slice: number): Promise<number> {
  const { rowCount } = await pool.query(sql.PRUNE_ACTION_RUNS, [cutoff.toISOString(), slice]);
  return rowCount ?? 0;
}
