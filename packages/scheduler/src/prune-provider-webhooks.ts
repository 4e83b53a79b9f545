import type { Pool } from '@weft/db';
import * as sql from './sql/provider-webhooks.js';

const SLICE = 5_000;

/**
 * Drop finished inbound notifications older than `days` (WEFT_LOGS_RETENTION_DAYS; 0 keeps
 * everything), in slices so no statement holds locks for long. Their dedupe keys go with them: a
 * provider redelivering a notification after the retention period would have it processed again,
 * which no provider does (they retry for hours or days). Unfinished ones always stay.
 */
export async function pruneProviderWebhooks(pool: Pool, days: number, now = new Date()): Promise<number> {
  if (days <= 0) return 0;
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  let total = 0;
  for (;;) {
    const { rowCount } = await pool.query(sql.PRUNE_NOTIFICATIONS, [cutoff, SLICE]);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < SLICE) return total;
  }
}
