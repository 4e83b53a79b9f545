import { defineErrors } from '@weft/core';

export const dbErrors = defineErrors('db', {
  WEFT_DB_UNREACHABLE: {
    status: 503,
    retryable: true,
    message: 'Cannot reach Postgres at {target}: {reason}',
    fix: 'Check DATABASE_URL (host, port, credentials) and that the server is running; unset it to use the embedded Postgres.',
  },
  WEFT_DB_EMBEDDED_START_FAILED: {
    status: 500,
    retryable: false,
    message: 'The embedded Postgres could not start: {reason}',
    fix: 'Read the reason; usually the data dir is not writable or (as root) not reachable by the postgres user. Set WEFT_DATA_DIR elsewhere or use DATABASE_URL.',
  },
  WEFT_DB_MIGRATION_FAILED: {
    status: 500,
    retryable: false,
    message: 'Migration {name} failed: {reason}',
    fix: 'Nothing of that migration was applied (each runs in a transaction). Fix the database state the reason names, then start again.',
  },
});
