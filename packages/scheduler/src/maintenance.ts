import { hostname } from 'node:os';
import type { Pool } from '@weft/db';
import { PgBoss } from 'pg-boss';
import * as sql from './sql/maintenance-runs.js';

/** One periodic piece of housekeeping (retention, webhook sweep, alert scan). */
export interface MaintenanceJob {
  /** Stable name; the pg-boss queue is `weft-maintenance-<name>`. */
  name: string;
  /** At most one execution per period of this many seconds, fleet-wide (whole seconds, ≥ 1). */
  periodSeconds: number;
  run(): Promise<void>;
}

export interface MaintenanceOptions {
  pool: Pool;
  /** Connection string for pg-boss (same database). */
  connectionString: string;
  jobs: MaintenanceJob[];
  /** Recorded with each execution. @default host:pid */
  workerId?: string;
  onError?: (error: unknown) => void;
}

export interface Maintenance {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const queueOf = (name: string) => `weft-maintenance-${name}`;

/**
 * Maintenance as pg-boss singleton jobs, so any process of a fleet (`weft start`, `weft worker`s)
 * can do it and none does it twice: every process offers a job per period with `sendThrottled`
 * (pg-boss keeps one job per period slot, whoever offers it first), the queue's `singleton` policy
 * lets one be active at a time, and whichever process's worker fetches it runs it. Each execution
 * is recorded in `maintenance_runs` with its period.
 */
export function createMaintenance(options: MaintenanceOptions): Maintenance {
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: 'pgboss',
    useListenNotify: true,
    max: 2,
  } as ConstructorParameters<typeof PgBoss>[0]);
  boss.on('error', (error: unknown) => options.onError?.(error));
  const timers: NodeJS.Timeout[] = [];

  async function execute(job: MaintenanceJob, id: string, periodStart: Date | null): Promise<void> {
    const { rows } = await options.pool.query<{ id: string }>(sql.START_MAINTENANCE_RUN, [
      job.name,
      id,
      periodStart?.toISOString() ?? null,
      workerId,
    ]);
    let failure: string | null = null;
    try {
      await job.run();
    } catch (error) {
      failure = (error as Error).message ?? String(error);
      options.onError?.(error);
    } finally {
      await options.pool.query(sql.FINISH_MAINTENANCE_RUN, [rows[0]?.id, failure]);
    }
  }

  return {
    async start() {
      await boss.start();
      for (const job of options.jobs) {
        const queue = queueOf(job.name);
        const period = Math.max(1, Math.round(job.periodSeconds));
        // A failed housekeeping pass is not retried: the next period's job does the same work.
        await boss
          .createQueue(queue, {
            policy: 'singleton',
            notify: true,
            retryLimit: 0,
            // A job per second (webhook retries) would pile up ~86k finished rows a day, so finished
            // jobs go after an hour — but never within their own period, whose slot they hold.
            deleteAfterSeconds: Math.max(3600, 2 * period),
          } as Parameters<typeof boss.createQueue>[1])
          .catch((error: unknown) => {
            if (!/already exists/i.test(String((error as Error).message))) throw error;
          });
        await boss.work<object>(
          queue,
          { includeMetadata: true, pollingIntervalSeconds: Math.max(0.5, Math.min(2, period / 2)) },
          async (jobs) => {
            // includeMetadata: each job carries its singleton slot.
            for (const j of jobs as Array<{ id: string; singletonOn?: Date | null }>)
              await execute(job, j.id, j.singletonOn ?? null);
          },
        );
        const offer = () => {
          boss.sendThrottled(queue, {}, null, period).catch((error: unknown) => options.onError?.(error));
        };
        offer();
        // Offering twice a period never creates a second job for it (pg-boss keeps one per slot).
        const timer = setInterval(offer, Math.max(250, (period * 1000) / 2));
        timer.unref();
        timers.push(timer);
      }
    },
    async stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
      await boss.stop({ graceful: true, timeout: 5_000 } as Parameters<typeof boss.stop>[0]);
    },
  };
}

/** Deletes maintenance executions started before `cutoff` (retention). */
export async function pruneMaintenanceRuns(pool: Pool, cutoff: Date): Promise<number> {
  const { rowCount } = await pool.query(sql.PRUNE_MAINTENANCE_RUNS, [cutoff.toISOString()]);
  return rowCount ?? 0;
}
