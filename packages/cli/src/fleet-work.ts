import type { SecretBox, WeftConfig } from '@weft/core';
import type { Database } from '@weft/db';
import { isolatePool } from '@weft/runner';
import { createFleetMaintenance } from './maintenance-jobs.js';
import type { createServices } from './services.js';

/** The work a process shares with the rest of its fleet, running; `stop` is safe to call twice. */
export interface FleetWork {
  stop(): Promise<void>;
}

/**
 * What `weft start` and every `weft worker` run alike once their services exist: the scheduler's
 * runs, then webhook delivery and housekeeping (maintenance-jobs.ts). `stop` takes them down in
 * the order a clean exit needs — maintenance, then the scheduler (its runs handed back), then the
 * isolate pool, then the proxy — and leaves the caller's own parts (API, database) to the caller.
 */
export async function startFleetWork(
  config: WeftConfig,
  database: Database,
  box: SecretBox,
  publicUrl: string,
  services: Pick<ReturnType<typeof createServices>, 'scheduler' | 'proxy' | 'subscriptions'>,
  onMaintenanceError: (what: string, error: unknown) => void,
): Promise<FleetWork> {
  const { scheduler, proxy, subscriptions } = services;
  await scheduler.start();
  const maintenance = createFleetMaintenance(
    config,
    database.pool,
    database.url,
    box,
    publicUrl,
    scheduler.workerId,
    onMaintenanceError,
    subscriptions,
  );
  await maintenance.start();
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        await maintenance.stop();
        await scheduler.stop();
        await settleIsolatePool();
        await proxy.close();
      })();
      return stopping;
    },
  };
}

/**
 * Stop warming isolates and wait for the one being prepared: an isolate still being prepared when
 * the process exits can take the process down with it (isolated-vm), which turned a clean
 * start-up failure's exit 1 into a crash on a loaded machine.
 */
export async function settleIsolatePool(): Promise<void> {
  isolatePool.close();
  await isolatePool.settled();
}
