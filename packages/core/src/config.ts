import { z } from 'zod';
import { coreErrors } from './errors.js';
import { parseEncryptionKey as parseKey } from './secret-box.js';

const port = z.coerce
  .number({ error: 'must be an integer between 1 and 65535' })
  .int({ error: 'must be an integer between 1 and 65535' })
  .min(1, { error: 'must be an integer between 1 and 65535' })
  .max(65535, { error: 'must be an integer between 1 and 65535' });

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Every setting Weft reads from the environment, validated once at startup.
 * Library packages never read `process.env`; entry points call `resolveConfig(process.env)`
 * and pass the frozen result down.
 */
export const configSchema = z.object({
  /** HTTP port of the API. @default 3003 */
  PORT: port.default(3003),
  /** Interface the API binds to. Loopback by default: exposing Weft is a deliberate choice. @default 127.0.0.1 */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** External Postgres (≥ 14). When unset, Weft runs an embedded Postgres in `WEFT_DATA_DIR/pgdata`. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  /** 32-byte key (64 hex chars or base64) for AES-256-GCM at rest. Generated into the data dir when unset. */
  WEFT_ENCRYPTION_KEY: z.string().optional(),
  /** Encrypt record payloads at rest with AES-256-GCM (`on`/`off`). @default off */
  WEFT_RECORDS_ENCRYPTION: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
  /** 32-byte key (64 hex chars or base64) for record payloads; unset → derived from WEFT_ENCRYPTION_KEY. */
  WEFT_RECORDS_ENCRYPTION_KEY: z
    .string()
    .refine((value) => parseKey(value) !== null, { error: 'must be 32 bytes as 64 hex characters or base64' })
    .optional(),
  /** Comma-separated earlier records keys, still accepted for reading after a rotation. */
  WEFT_RECORDS_ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .refine((keys) => keys.every((k) => parseKey(k) !== null), {
      error: 'each key must be 32 bytes as 64 hex characters or base64',
    })
    .default([]),
  /** Where Weft keeps local state (embedded Postgres, generated key). @default ./.weft */
  WEFT_DATA_DIR: z.string().min(1).default('./.weft'),
  /** Public base URL (OAuth callbacks, links in webhooks/alerts). @default http://localhost:<PORT> */
  WEFT_PUBLIC_URL: z.url({ error: 'must be an absolute http(s) URL' }).optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  /** Let the outbound proxy reach private/loopback addresses (tests, on-prem APIs). @default false */
  WEFT_ALLOW_PRIVATE_NETWORK: booleanFlag.default(false),
  /**
   * What syncs do with records that do not match their model: `warn` stores them and reports each
   * (as Nango keeps them), `reject` refuses the batch, `off` checks nothing; a sync's own
   * `validation` setting wins. @default warn
   */
  WEFT_RECORDS_VALIDATION: z.enum(['warn', 'reject', 'off'], { error: 'must be warn, reject or off' }).default('warn'),
  /** Days a deleted record (tombstone) stays readable with filter=deleted before it is purged; 0 = forever. @default 90 */
  WEFT_RECORDS_TOMBSTONE_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a whole number of days (0 keeps forever)' })
    .int({ error: 'must be a whole number of days (0 keeps forever)' })
    .min(0, { error: 'must be a whole number of days (0 keeps forever)' })
    .default(90),
  /** Days after which payloads of records that did not change are emptied (metadata stays); 0 = never. @default 0 */
  WEFT_RECORDS_PAYLOAD_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a whole number of days (0 keeps forever)' })
    .int({ error: 'must be a whole number of days (0 keeps forever)' })
    .min(0, { error: 'must be a whole number of days (0 keeps forever)' })
    .default(0),
  /** Days the operation log (sync/action runs, proxy calls, webhook deliveries, auth events) is kept; 0 = forever. @default 30 */
  WEFT_LOGS_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a whole number of days (0 keeps forever)' })
    .int({ error: 'must be a whole number of days (0 keeps forever)' })
    .min(0, { error: 'must be a whole number of days (0 keeps forever)' })
    .default(30),
  /** Refresh OAuth tokens this many seconds before they expire. @default 300 */
  WEFT_TOKEN_REFRESH_MARGIN_SECONDS: z.coerce
    .number({ error: 'must be a whole number of seconds' })
    .int({ error: 'must be a whole number of seconds' })
    .min(0, { error: 'must be a whole number of seconds' })
    .default(300),
  /** Comma-separated hosts, IPs or CIDR ranges the proxy may reach even though private (e.g. `10.1.0.0/16,erp.internal`). */
  WEFT_PROXY_ALLOWED_HOSTS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    )
    .default([]),
  /** Sync runs executed at once by this process (weft start / weft worker). @default 4 */
  WEFT_WORKER_CONCURRENCY: z.coerce
    .number({ error: 'must be a whole number ≥ 0' })
    .int({ error: 'must be a whole number ≥ 0' })
    .min(0, { error: 'must be a whole number ≥ 0' })
    .default(4),
  /** Sync runs of one integration executed at once by this process; 0 = no cap. @default 0 */
  WEFT_PROVIDER_CONCURRENCY: z.coerce
    .number({ error: 'must be a whole number ≥ 0' })
    .int({ error: 'must be a whole number ≥ 0' })
    .min(0, { error: 'must be a whole number ≥ 0' })
    .default(0),
  /** Actions (and dryruns) executed at once by this process; more wait in line. @default 4 */
  WEFT_ACTION_CONCURRENCY: z.coerce
    .number({ error: 'must be a whole number ≥ 1' })
    .int({ error: 'must be a whole number ≥ 1' })
    .min(1, { error: 'must be a whole number ≥ 1' })
    .default(4),
  /** Actions that may wait for a free slot; more are refused with WEFT_RUNNER_ACTIONS_BUSY (429). @default 100 */
  WEFT_ACTION_QUEUE_LIMIT: z.coerce
    .number({ error: 'must be a whole number ≥ 0' })
    .int({ error: 'must be a whole number ≥ 0' })
    .min(0, { error: 'must be a whole number ≥ 0' })
    .default(100),
  /** Largest inbound provider webhook body (POST /webhook/...); larger ones get 413. @default 1048576 (1 MiB) */
  WEFT_WEBHOOK_BODY_LIMIT_BYTES: z.coerce
    .number({ error: 'must be a whole number of bytes ≥ 1024' })
    .int({ error: 'must be a whole number of bytes ≥ 1024' })
    .min(1024, { error: 'must be a whole number of bytes ≥ 1024' })
    .default(1_048_576),
  /** Inbound provider webhooks accepted per second per integration (bursts of twice that); more get 429. @default 200 */
  WEFT_WEBHOOK_RATE_LIMIT: z.coerce
    .number({ error: 'must be a whole number ≥ 1' })
    .int({ error: 'must be a whole number ≥ 1' })
    .min(1, { error: 'must be a whole number ≥ 1' })
    .default(200),
  /**
   * Isolates kept ready (created, sandbox prelude and zod evaluated) ahead of runs, so a run starts
   * in a few milliseconds; each serves one run only. 0 prepares every isolate when its run starts. @default 2
   */
  WEFT_ISOLATE_POOL_SIZE: z.coerce
    .number({ error: 'must be a whole number between 0 and 64' })
    .int({ error: 'must be a whole number between 0 and 64' })
    .min(0, { error: 'must be a whole number between 0 and 64' })
    .max(64, { error: 'must be a whole number between 0 and 64' })
    .default(2),
  /** A running sync whose worker has not sent a heartbeat for this long is interrupted and retried. @default 30 */
  WEFT_HEARTBEAT_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds ≥ 1' })
    .min(1, { error: 'must be a number of seconds ≥ 1' })
    .default(30),
  /** Multiplies every sync frequency (testing and demos only; 1 in production). @default 1 */
  WEFT_SCHEDULER_TIME_SCALE: z.coerce
    .number({ error: 'must be a positive number' })
    .positive({ error: 'must be a positive number' })
    .default(1),
  /** Slack-compatible incoming webhook for alerts (sync failures, re-auth needed, webhook delivery exhausted, secret expiry). */
  WEFT_ALERT_WEBHOOK_URL: z.url({ error: 'must be an absolute http(s) URL' }).optional(),
  /** Seconds between retention passes (records, operation log), run once per period by one process of the fleet. @default 3600 */
  WEFT_RETENTION_INTERVAL_SECONDS: z.coerce
    .number({ error: 'must be a whole number of seconds ≥ 1' })
    .int({ error: 'must be a whole number of seconds ≥ 1' })
    .min(1, { error: 'must be a whole number of seconds ≥ 1' })
    .default(3600),
  /** Seconds between alert scans (with WEFT_ALERT_WEBHOOK_URL), once per period fleet-wide. @default 15 */
  WEFT_ALERT_INTERVAL_SECONDS: z.coerce
    .number({ error: 'must be a whole number of seconds ≥ 1' })
    .int({ error: 'must be a whole number of seconds ≥ 1' })
    .min(1, { error: 'must be a whole number of seconds ≥ 1' })
    .default(15),
  /** Path of providers.yaml. @default ./providers.yaml */
  WEFT_PROVIDERS_FILE: z.string().min(1).default('./providers.yaml'),
});

export type WeftConfig = Readonly<z.output<typeof configSchema>>;

/** Validate settings; throws WEFT_CONFIG_INVALID naming each bad variable and what it expects. */
export function resolveConfig(env: Record<string, string | undefined>): WeftConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? 'config');
      const got = input[key];
      return `${key} ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
    });
    throw coreErrors.create('WEFT_CONFIG_INVALID', { problems: problems.join('; ') }, { problems });
  }
  return Object.freeze(result.data);
}
