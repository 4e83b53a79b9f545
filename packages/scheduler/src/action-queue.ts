import { randomUUID } from 'node:crypto';
import { connectionRowId, type Pool, type PoolClient, withTransaction } from '@weft/db';
import type { Runner } from '@weft/runner';
import type { PgBoss } from 'pg-boss';
import { z } from 'zod';
import { type ActionHeartbeats, startActionHeartbeats } from './action-heartbeats.js';
import {
  type ActionStart,
  type AsyncActionAcceptor,
  type AsyncActionJob,
  executeAsyncAction,
} from './action-lifecycle.js';
import { claimActionRun, finishActionRun, queueActionRun, startActionRun } from './action-runs.js';
import { LISTEN_ACTION_QUEUE, UNLISTEN_ACTION_QUEUE } from './sql/action-runs.js';

/** pg-boss queue of async action runs that waited for a free slot somewhere in the fleet. */
export const ACTION_QUEUE = 'weft-async-actions';

const runIdOf = z.object({ runId: z.uuid() });

/** A job's data as this version writes it; checked when fetched (another version of Weft may have queued it). */
const actionJob = z.object({
  runId: z.uuid(),
  environmentId: z.number().int(),
  connection: z.object({
    id: z.number().int().transform(connectionRowId),
    providerConfigKey: z.string(),
    connectionId: z.string(),
  }),
  actionName: z.string(),
  input: z.unknown(),
});

export interface ActionQueueOptions {
  pool: Pool;
  /** The scheduler's pg-boss (started before start()). */
  boss: PgBoss;
  /** Executes the actions; its on-demand slots (WEFT_ACTION_CONCURRENCY) cap them. */
  runner: Runner;
  /** This process (`host:pid`), recorded on the runs it executes. */
  workerId: string;
  /** A running async action without a heartbeat for this long is failed with WEFT_RUNNER_ACTION_LOST. */
  heartbeatTimeoutMs: number;
  /** @default heartbeatTimeoutMs / 6, at least 200 ms */
  heartbeatMs?: number;
  /** Backstop for a missed NOTIFY: how often an idle process looks at the queue anyway. @default 2000 */
  pollMs?: number;
  onError?: (error: unknown) => void;
}

/** The fleet's async actions as this process sees them (the scheduler starts and stops it). */
export interface ActionQueue extends AsyncActionAcceptor {
  start(): Promise<void>;
  /** Stop taking runs; running ones get `graceMs` to end, then are aborted (their failure recorded). */
  stop(graceMs: number): Promise<void>;
}

const dbOf = (client: PoolClient) => ({
  executeSql: (text: string, values?: unknown[]) => client.query(text, values),
});

/**
 * Async actions (`X-Async: true`) as pg-boss jobs any process of the fleet works (`weft start`,
 * `weft worker`), capped per process by the runner's action slots (WEFT_ACTION_CONCURRENCY).
 *
 * The process that accepts a run executes it itself when it has a free slot: the row is born
 * `running` under its heartbeat, exactly like a job it had fetched, so no job is needed. Otherwise
 * the row is inserted `queued` and its job in the same transaction (a crash cannot leave a run
 * without a job, nor a job without a run). A process fetches only while it has a free slot, so a
 * busy one leaves the job to the rest of the fleet; the fetch, the claim of the row and the job's
 * completion commit together, so a run is taken by at most one process and a crash before that
 * commit leaves the job for the next one.
 *
 * From the claim on, the row's heartbeat is what keeps the run alive: a run whose process died is
 * failed by the reaper with WEFT_RUNNER_ACTION_LOST and never run again, since an action may have
 * had side effects at the provider (the job has no pg-boss retries).
 */
export function createActionQueue(options: ActionQueueOptions): ActionQueue {
  const { pool, boss, runner, workerId } = options;
  const onError = (error: unknown) => options.onError?.(error);
  let working = false;
  let heartbeats: ActionHeartbeats | undefined;
  let listener: PoolClient | undefined;
  let unlisten: () => Promise<void> = async () => {};
  let loop: Promise<void> | undefined;
  let stopRequested: () => void = () => {};
  let stopping = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  // A NOTIFY (or stop) since the last fetch began: the next idle wait returns at once.
  let woken = false;
  let wakeIdle: (() => void) | undefined;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();

  function wake(): void {
    woken = true;
    wakeIdle?.();
  }

  /** Until a NOTIFY, stop, or `pollMs`; reconnects a lost listener first. */
  async function idle(): Promise<void> {
    if (listener === undefined && working) await listen().catch(onError);
    if (woken) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.pollMs ?? 2_000);
      timer.unref();
      function done() {
        clearTimeout(timer);
        wakeIdle = undefined;
        resolve();
      }
      wakeIdle = done;
    });
  }

  async function listen(): Promise<void> {
    const client = await pool.connect();
    let released = false;
    // A dropped connection: fall back to polling, and listen again at the next idle wait.
    const dropped = (error: Error) => {
      release(error);
      onError(error);
    };
    const release = (error?: Error) => {
      if (released) return;
      released = true;
      if (listener === client) listener = undefined;
      // Back in the pool the client is no longer ours: an error it meets there (Postgres stopping
      // after the pool ended, on a clean shutdown) is the pool's to handle, not a lost listener.
      client.off('notification', wake);
      client.off('error', dropped);
      client.release(error);
    };
    client.on('notification', wake);
    client.on('error', dropped);
    try {
      await client.query(LISTEN_ACTION_QUEUE);
    } catch (error) {
      release(error as Error);
      throw error;
    }
    listener = client;
    unlisten = async () => {
      await client.query(UNLISTEN_ACTION_QUEUE).catch(() => {});
      release();
    };
    wake(); // runs queued while nobody listened
  }

  /** One queued run, fetched, claimed and its job completed in one transaction. */
  function claimNext(): Promise<AsyncActionJob | 'empty' | 'gone'> {
    return withTransaction(pool, async (client) => {
      const db = dbOf(client);
      const [job] = await boss.fetch<unknown>(ACTION_QUEUE, { batchSize: 1, db });
      if (job === undefined) return 'empty';
      await boss.complete(ACTION_QUEUE, job.id, null, { db });
      const named = runIdOf.safeParse(job.data);
      // Not a run at all, or one no longer queued (finished, pruned): nothing to do but complete the job.
      if (!named.success || !(await claimActionRun(client, named.data.runId, workerId))) return 'gone';
      const parsed = actionJob.safeParse(job.data);
      if (parsed.success) return parsed.data;
      await finishActionRun(client, named.data.runId, {
        status: 'failed',
        error: { code: 'WEFT_CORE_INTERNAL', message: 'This queued action run is unreadable by this version of Weft' },
        logs: [],
      });
      return 'gone';
    });
  }

  function execute(job: AsyncActionJob, slot: () => void): void {
    const controller = new AbortController();
    const done = executeAsyncAction({ pool, runner, ...(heartbeats ? { heartbeats } : {}) }, job, onError, {
      slot,
      signal: controller.signal,
    }).finally(() => running.delete(job.runId));
    running.set(job.runId, { controller, done });
  }

  async function work(): Promise<void> {
    while (working) {
      // Fetch only with a slot in hand: a busy process leaves queued runs to the rest of the fleet.
      await Promise.race([runner.onDemandSlotFree(), stopping]);
      if (!working) return;
      const slot = runner.reserveOnDemandSlot();
      if (slot === undefined) continue; // an in-request action took it first
      woken = false;
      let next: Awaited<ReturnType<typeof claimNext>>;
      try {
        next = await claimNext();
      } catch (error) {
        slot();
        onError(error);
        await idle();
        continue;
      }
      if (next === 'empty' || next === 'gone') {
        slot();
        if (next === 'empty') await idle();
        continue;
      }
      execute(next, slot);
    }
  }

  return {
    async accept(request: ActionStart): Promise<string | undefined> {
      if (!working) return undefined;
      const id = randomUUID();
      const run = {
        id,
        environmentId: request.environmentId,
        connectionRowId: connectionRowId(request.connection.id),
        actionName: request.actionName,
        startedAt: new Date().toISOString(),
      };
      const job: AsyncActionJob = {
        runId: id,
        environmentId: request.environmentId,
        connection: request.connection,
        actionName: request.actionName,
        input: request.input,
      };
      // A free slot here: run it here, at once (no queue round trip).
      const slot = runner.reserveOnDemandSlot();
      if (slot !== undefined) {
        try {
          await startActionRun(pool, { ...run, async: true, workerId });
        } catch (error) {
          slot();
          throw error;
        }
        execute(job, slot);
        return id;
      }
      await withTransaction(pool, async (client) => {
        await queueActionRun(client, run);
        await boss.insert(ACTION_QUEUE, [{ data: job }], { db: dbOf(client) });
      });
      return id;
    },

    async start(): Promise<void> {
      await boss
        .createQueue(ACTION_QUEUE, { retryLimit: 0 } as Parameters<typeof boss.createQueue>[1])
        .catch((error: unknown) => {
          if (!/already exists/i.test(String((error as Error).message))) throw error;
        });
      heartbeats = startActionHeartbeats(pool, {
        timeoutMs: options.heartbeatTimeoutMs,
        ...(options.heartbeatMs !== undefined ? { intervalMs: options.heartbeatMs } : {}),
        onError,
      });
      stopping = new Promise<void>((resolve) => {
        stopRequested = resolve;
      });
      working = true;
      await listen().catch(onError);
      loop = work().catch(onError);
    },

    async stop(graceMs: number): Promise<void> {
      if (!working) return;
      working = false;
      stopRequested();
      wake();
      await loop;
      await unlisten();
      // Running actions finish within the grace; the rest are aborted and end failed (recorded).
      const all = () => Promise.all([...running.values()].map((r) => r.done));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        all(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      for (const { controller } of running.values()) controller.abort();
      await all();
      heartbeats?.stop();
    },
  };
}
