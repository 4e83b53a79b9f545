import { createRecordStore } from '@weft/records';
import { createRunner, type Runner, type RunnerOptions } from '@weft/runner';
import { createCheckpointStore } from '@weft/scheduler';
import type { ApiHarness } from './api-harness.js';

/**
 * A runner of the test's own over the harness's database, auth and proxy (with its own record and
 * checkpoint stores), for tests that call it directly or give it other limits; `options` override.
 */
export function createHarnessRunner(h: ApiHarness, options: Partial<RunnerOptions> = {}): Runner {
  return createRunner({
    pool: h.db.pool,
    checkpoints: createCheckpointStore(h.db.pool),
    proxy: h.proxy,
    records: createRecordStore({ pool: h.db.pool }),
    auth: h.auth,
    ...options,
  });
}
