import type { Pool } from '@weft/db';
import { heartbeatActionRuns, reapActionRuns } from './action-runs.js';

/** Heartbeats for the async action runs of this process, and the reaper of everyone's dead ones. */
export interface ActionHeartbeats {
  /** Heartbeat this run until the returned function is called (when it ends, either way). */
  track(runId: string): () => void;
  /** One heartbeat + reap round now (tests, shutdown). */
  beat(): Promise<void>;
  stop(): void;
}

/**
 * Every process that serves the API runs async actions in its own event loop; if it dies they can
 * never finish. Each process heartbeats its own runs, and every process reaps runs whose heartbeat
 * is older than `timeoutMs` (a shared UPDATE: any number of processes can do it at once).
 */
export function startActionHeartbeats(
  pool: Pool,
  options: {
    timeoutMs: number;
    intervalMs?: number;
    /**
     * Reap everyone's dead runs too. @default true. A process whose scheduler runs the fleet's
     * action queue leaves it to the queue's own heartbeats, so it does not reap twice.
     */
    reap?: boolean;
    onError?: (error: unknown) => void;
  },
): ActionHeartbeats {
  const running = new Set<string>();
  let round: Promise<void> | undefined;
  const beat = async () => {
    await heartbeatActionRuns(pool, [...running]);
    if (options.reap ?? true) await reapActionRuns(pool, options.timeoutMs / 1000);
  };
  const timer = setInterval(
    () => {
      if (round !== undefined) return; // a slow database: never pile rounds up
      round = beat()
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          round = undefined;
        });
    },
    options.intervalMs ?? Math.max(200, options.timeoutMs / 6),
  );
  timer.unref();
  return {
    track(runId) {
      running.add(runId);
      return () => running.delete(runId);
    },
    beat,
    stop: () => clearInterval(timer),
  };
}
