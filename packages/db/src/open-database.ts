import path from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { dbErrors } from './errors.js';
import { createPool, type Pool } from './pool.js';

export interface OpenDatabaseOptions {
  /** External Postgres; when unset an embedded cluster runs in `<dataDir>/pgdata`. */
  databaseUrl?: string | undefined;
  /** Weft's local state directory. */
  dataDir: string;
  /** @default 10 */
  poolSize?: number;
  onLog?: (line: string) => void;
}

export interface Database {
  readonly pool: Pool;
  readonly url: string;
  /** True when Weft runs the cluster itself. */
  readonly embedded: boolean;
  /** Close the pool and, for an embedded cluster this process started, stop Postgres. */
  close(): Promise<void>;
}

function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const embedded = options.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: path.join(options.dataDir, 'pgdata'),
        ...(options.onLog ? { onLog: options.onLog } : {}),
      });
  const url = options.databaseUrl ?? embedded!.url;
  const pool = createPool(url, { max: options.poolSize ?? 10 });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    await embedded?.stop();
    // Never echo the URL itself: it carries the password.
    throw dbErrors.create(
      'WEFT_DB_UNREACHABLE',
      { target: describeTarget(url), reason: (error as Error).message },
      undefined,
      error,
    );
  }
  let closed: Promise<void> | undefined;
  return {
    pool,
    url,
    embedded: embedded !== undefined,
    close() {
      closed ??= (async () => {
        await pool.end().catch(() => {});
        await embedded?.stop();
      })();
      return closed;
    },
  };
}

/** True when Postgres answers on the pool. */
export async function isReachable(pool: Pool): Promise<boolean> {
  try {
    await pool.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
