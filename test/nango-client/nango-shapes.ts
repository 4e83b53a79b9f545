import { z } from 'zod';

/**
 * Runtime copies of the types `@nangohq/node` 0.71.10 declares for its results (its `.d.ts` and
 * `@nangohq/types`): field names, casing, nullability and enums. Objects are not strict because
 * Weft may add fields; every declared field must be there with the declared type.
 */

const isoTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO timestamp');
const stringMap = z.record(z.string(), z.string());

/** `ApiEndUser` */
export const ApiEndUser = z.object({
  id: z.string(),
  display_name: z.string().nullable(),
  email: z.string().nullable(),
  tags: stringMap.nullable(),
  organization: z.object({ id: z.string(), display_name: z.string().nullable() }).nullable(),
});

/** `ApiPublicConnection` (listConnections) */
export const ApiPublicConnection = z.object({
  id: z.number(),
  connection_id: z.string(),
  provider_config_key: z.string(),
  created: isoTimestamp,
  metadata: z.record(z.string(), z.unknown()).nullable(),
  provider: z.string(),
  errors: z.array(z.object({ type: z.string(), log_id: z.string() })),
  end_user: ApiEndUser.nullable(),
  tags: stringMap,
});

/** `ApiPublicConnectionFull` (getConnection) */
export const ApiPublicConnectionFull = z.object({
  id: z.number(),
  connection_id: z.string(),
  connection_config: z.record(z.string(), z.unknown()),
  webhook_url_override: z.string().nullable(),
  provider_config_key: z.string(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
  last_fetched_at: isoTimestamp.nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  provider: z.string(),
  errors: z.array(z.object({ type: z.string(), log_id: z.string() })),
  end_user: ApiEndUser.nullable(),
  tags: stringMap,
  credentials: z.looseObject({ type: z.string() }),
});

/** `OAuth2Credentials` with dates as strings (`ApiPublicAllAuthCredentials`) */
export const OAuth2Credentials = z.object({
  type: z.literal('OAUTH2'),
  access_token: z.string(),
  refresh_token: z.string().optional(),
  expires_at: isoTimestamp.optional(),
  raw: z.record(z.string(), z.unknown()),
});

/** `ApiKeyCredentials` */
export const ApiKeyCredentials = z.object({ type: z.literal('API_KEY'), apiKey: z.string() });

/** `ApiPublicIntegration` (+ include) */
export const ApiPublicIntegration = z.object({
  unique_key: z.string(),
  provider: z.string(),
  display_name: z.string(),
  logo: z.string(),
  forward_webhooks: z.boolean(),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
  webhook_url: z.string().nullable().optional(),
  credentials: z
    .object({
      type: z.string(),
      client_id: z.string().nullable(),
      client_secret: z.string().nullable(),
      scopes: z.string().nullable(),
      webhook_secret: z.string().nullable(),
    })
    .nullable()
    .optional(),
});

/** `ApiProvider`: the catalogue entry with `name` and `logo_url`. */
export const ApiProvider = z.looseObject({
  name: z.string(),
  display_name: z.string(),
  auth_mode: z.string(),
  logo_url: z.string(),
});

/** `PostConnectSessions['Success']` */
export const ConnectSession = z.object({
  data: z.object({ token: z.string(), connect_link: z.string(), expires_at: isoTimestamp }),
});

/** `RecordMetadata` / `NangoRecord` */
export const NangoRecord = z.looseObject({
  id: z.union([z.string(), z.number()]),
  _nango_metadata: z.object({
    first_seen_at: isoTimestamp,
    last_modified_at: isoTimestamp,
    last_action: z.enum(['ADDED', 'UPDATED', 'DELETED', 'added', 'updated', 'deleted']),
    deleted_at: isoTimestamp.nullable(),
    pruned_at: isoTimestamp.nullable(),
    cursor: z.string(),
  }),
});

export const ListRecords = z.object({ records: z.array(NangoRecord), next_cursor: z.string().nullable() });

const SyncStatusEnum = z.enum(['RUNNING', 'SUCCESS', 'ERROR', 'PAUSED', 'STOPPED']);

/** `SyncStatus` (node client types) ∪ `ReportedSyncJobStatus` (@nangohq/types) */
export const SyncStatus = z.object({
  id: z.string(),
  type: z.enum(['INCREMENTAL', 'INITIAL']),
  finishedAt: isoTimestamp.nullable().optional(),
  nextScheduledSyncAt: isoTimestamp.nullable(),
  name: z.string(),
  status: SyncStatusEnum,
  frequency: z.string(),
  latestResult: z.record(z.string(), z.object({ added: z.number(), updated: z.number(), deleted: z.number() })),
  latestExecutionStatus: SyncStatusEnum.optional(),
  recordCount: z.record(z.string(), z.number()),
  checkpoint: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
  connection_id: z.string().optional(),
  variant: z.string().optional(),
});

/** `MetadataChangeResponse` */
export const MetadataChangeResponse = z.object({
  metadata: z.record(z.string(), z.unknown()),
  provider_config_key: z.string(),
  connection_id: z.union([z.string(), z.array(z.string())]),
});

/** `NangoSyncConfig` (the fields Weft can know) and `StandardNangoConfig` */
const NangoSyncConfig = z.object({
  name: z.string(),
  type: z.enum(['sync', 'action']).optional(),
  runs: z.string().nullable().optional(),
  auto_start: z.boolean().optional(),
  description: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  track_deletes: z.boolean().optional(),
  returns: z.array(z.string()),
  endpoints: z.array(z.object({ method: z.string(), path: z.string() })),
  version: z.string().nullable().optional(),
  input: z.string().optional(),
  json_schema: z.record(z.string(), z.unknown()).nullable(),
  sdk_version: z.string().nullable(),
  features: z.array(z.string()),
});
export const StandardNangoConfig = z.object({
  providerConfigKey: z.string(),
  provider: z.string().optional(),
  syncs: z.array(NangoSyncConfig),
  actions: z.array(NangoSyncConfig),
  'on-events': z.array(NangoSyncConfig),
});

/** `OpenAIFunction` */
export const OpenAIFunction = z.object({
  name: z.string(),
  description: z.string(),
  parameters: z.object({
    type: z.string(),
    properties: z.record(z.string(), z.object({ type: z.string(), description: z.string() })),
    required: z.array(z.string()),
  }),
});

/** `GetPublicEnvironmentVariables['Success']` (getEnvironmentVariables) */
export const EnvironmentVariables = z.array(z.object({ name: z.string(), value: z.string() }).strict());

/** Parse and return, so a failing field shows its path in the test output. */
export function shape<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new Error(`not the declared shape: ${z.prettifyError(result.error)}\n${JSON.stringify(value)}`);
  return result.data;
}
