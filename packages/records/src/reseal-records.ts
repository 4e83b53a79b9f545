import type { Pool } from '@weft/db';
import { openPayload, type RecordCipher } from './record-cipher.js';
import * as sql from './sql.js';

/**
 * Seal every payload not yet sealed with the cipher's current key — plain payloads written before
 * encryption was turned on, and payloads of an earlier key after a rotation — and give it the
 * keyed hash. Records keep their seq and timestamps, so consumers see no change and the next
 * save still recognises unchanged records. Safe while syncs run (a row saved meanwhile is left
 * as its writer sealed it). Returns how many payloads were rewritten.
 */
export async function resealRecords(
  pool: Pool,
  cipher: RecordCipher,
  options: { batchSize?: number; onProgress?: (done: { scanned: number; resealed: number }) => void } = {},
): Promise<{ scanned: number; resealed: number }> {
  const batch = options.batchSize ?? 1_000;
  const current = `"weft:r1:${cipher.keyId}:`;
  let after: [number, string, string] = [0, '', ''];
  let scanned = 0;
  let resealed = 0;
  for (;;) {
    const { rows } = await pool.query<{
      connection_id: string;
      model: string;
      external_id: string;
      payload: string;
      data_hash: string;
    }>(sql.RESEAL_SLICE, [...after, batch]);
    const last = rows[rows.length - 1];
    if (last === undefined) break;
    scanned += rows.length;
    const stale = rows.filter((row) => !row.payload.startsWith(current));
    if (stale.length > 0) {
      const json = stale.map((row) => openPayload(row.payload, cipher));
      const result = await pool.query(sql.RESEAL_UPDATE, [
        stale.map((r) => r.connection_id),
        stale.map((r) => r.model),
        stale.map((r) => r.external_id),
        stale.map((r) => r.data_hash),
        json.map((text) => cipher.seal(text)),
        json.map((text) => cipher.hash(text)),
      ]);
      resealed += result.rowCount ?? 0;
    }
    options.onProgress?.({ scanned, resealed });
    after = [Number(last.connection_id), last.model, last.external_id];
  }
  return { scanned, resealed };
}
