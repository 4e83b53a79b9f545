import type { Pool } from '@weft/db';

export interface ProxyLogEntry {
  environmentId: number;
  connectionId: number | null;
  providerConfigKey: string;
  runId: string | null;
  method: string;
  /** Already redacted. */
  url: string;
  status: number | null;
  durationMs: number;
  attempts: number;
  errorCode: string | null;
}

/**
 * Buffers log entries and writes them in one INSERT per flush (every `intervalMs` or `maxBatch`
 * entries), so logging adds no database round trip to a proxied call.
 */
export class ProxyRequestLog {
  private buffer: ProxyLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly options: { intervalMs?: number; maxBatch?: number; onError?: (error: unknown) => void } = {},
  ) {}

  add(entry: ProxyLogEntry): void {
    this.buffer.push(entry);
    if (this.buffer.length >= (this.options.maxBatch ?? 500)) {
      void this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.options.intervalMs ?? 200);
      this.timer.unref();
    }
  }

  /** Write everything buffered so far (also call on shutdown). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.pool.query(
          `INSERT INTO proxy_requests (environment_id, connection_id, provider_config_key, run_id, method, url, status, duration_ms, attempts, error_code)
           SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[], $10::text[])`,
          [
            batch.map((e) => e.environmentId),
            batch.map((e) => e.connectionId),
            batch.map((e) => e.providerConfigKey),
            batch.map((e) => e.runId),
            batch.map((e) => e.method),
            batch.map((e) => e.url),
            batch.map((e) => e.status),
            batch.map((e) => e.durationMs),
            batch.map((e) => e.attempts),
            batch.map((e) => e.errorCode),
          ],
        );
      } catch (error) {
        this.options.onError?.(error);
      }
    });
    return this.flushing;
  }
}

export interface ProxyLogQuery {
  connectionId?: number;
  runId?: string;
  providerConfigKey?: string;
  limit?: number;
  beforeId?: number;
}

export async function listProxyRequests(pool: Pool, environmentId: number, query: ProxyLogQuery = {}) {
  const { rows } = await pool.query<{
    id: number;
    connection_id: number | null;
    provider_config_key: string;
    run_id: string | null;
    method: string;
    url: string;
    status: number | null;
    duration_ms: number;
    attempts: number;
    error_code: string | null;
    created_at: string;
  }>(
    `SELECT id, connection_id, provider_config_key, run_id, method, url, status, duration_ms, attempts, error_code, created_at
     FROM proxy_requests WHERE environment_id = $1
       AND ($2::bigint IS NULL OR connection_id = $2) AND ($3::text IS NULL OR run_id = $3)
       AND ($4::text IS NULL OR provider_config_key = $4) AND ($5::bigint IS NULL OR id < $5)
     ORDER BY id DESC LIMIT $6`,
    [
      environmentId,
      query.connectionId ?? null,
      query.runId ?? null,
      query.providerConfigKey ?? null,
      query.beforeId ?? null,
      query.limit ?? 100,
    ],
  );
  return rows;
}
