import pg from 'pg';

const TIMESTAMPTZ_OID = 1184;
const TIMESTAMP_OID = 1114;
const INT8_OID = 20;

/**
 * Timestamps stay text: JS Date drops microseconds, and a (updated_at, id) cursor built from a
 * Date re-reads the same page forever (measured in notes/limits.md §2). bigint counts become
 * numbers (they are far below 2^53 for counts; ids that may not be stay text in SQL).
 */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ_OID || oid === TIMESTAMP_OID) return (value: string) => value;
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PoolOptions {
  /** @default 10 */
  max?: number;
  /** Shown in pg_stat_activity. @default 'weft' */
  applicationName?: string;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** A pg Pool with Weft's type parsers (timestamps as text). */
export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'weft',
    types: typeParsers,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process on a Postgres restart.
  pool.on('error', () => {});
  return pool;
}
