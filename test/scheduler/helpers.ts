import type { Pool } from '@weft/db';

/** Poll an observable condition (bounded); never a fixed sleep. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function runsOf(pool: Pool, syncName: string, connectionId?: number) {
  const { rows } = await pool.query<{
    id: string;
    status: string;
    started_at: string | null;
    ended_at: string | null;
    worker_id: string | null;
    attempt: number;
    trigger: string;
    connection_id: number;
  }>(
    `SELECT id, status, started_at, ended_at, worker_id, attempt, trigger, connection_id FROM sync_runs
     WHERE sync_name = $1 AND ($2::bigint IS NULL OR connection_id = $2) ORDER BY created_at`,
    [syncName, connectionId ?? null],
  );
  return rows;
}
