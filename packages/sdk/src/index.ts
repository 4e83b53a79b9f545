/**
 * The script-facing API, Nango-compatible: scripts `import { createSync, createAction } from
 * 'nango'` (or 'weft'). This module is bundled into each script and runs inside the sandbox, so
 * it must not use any Node API. The `nango` object handed to `exec` is built by the runner's
 * sandbox prelude; its shape is the NangoSync / NangoAction types below.
 */
import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface PaginationConfig {
  type?: 'cursor' | 'link' | 'offset';
  limit?: number;
  limit_name_in_request?: string;
  response_path?: string;
  cursor_path_in_response?: string;
  cursor_name_in_request?: string;
  link_rel_in_response_header?: string;
  link_path_in_response_body?: string;
  offset_name_in_request?: string;
  offset_start_value?: number;
  offset_calculation_method?: 'per-page' | 'by-response-size';
  on_page?: (page: { nextPageParam?: string | number | undefined; response: ProxyResponse }) => Promise<void> | void;
}

export interface ProxyConfiguration {
  endpoint: string;
  method?: HttpMethod;
  params?: string | Record<string, string | number | string[] | number[]>;
  headers?: Record<string, string>;
  data?: unknown;
  retries?: number;
  retryOn?: number[];
  baseUrlOverride?: string;
  responseType?: 'json' | 'text' | 'arraybuffer';
  paginate?: PaginationConfig;
  decompress?: boolean;
  providerConfigKey?: string;
  connectionId?: string;
}

/** Axios-shaped response, as Nango scripts read it. */
export interface ProxyResponse<T = any> {
  data: T;
  status: number;
  headers: Record<string, string>;
}

export interface Connection {
  id: number;
  connection_id: string;
  provider_config_key: string;
  provider: string;
  connection_config: Record<string, any>;
  metadata: Record<string, any> | null;
  /** Weft never hands credentials to scripts: requests go through the proxy, which injects them. */
  credentials: Record<string, never>;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A typed failure of an action (`throw new nango.ActionError({ type, message, … })`). */
export class ActionError<T extends Record<string, unknown> = Record<string, unknown>> extends Error {
  readonly type = 'action_script_runtime_error';
  readonly payload: T;
  constructor(payload?: T) {
    super(typeof payload?.message === 'string' ? payload.message : 'Action failed');
    this.name = 'ActionError';
    this.payload = (payload ?? {}) as T;
  }
}

type Models = Record<string, z.ZodType>;
type ModelName<M extends Models> = Extract<keyof M, string>;

export interface NangoAction<Metadata = Record<string, unknown> | null> {
  readonly connectionId: string;
  readonly providerConfigKey: string;
  readonly variant?: string;
  readonly ActionError: typeof ActionError;
  proxy<T = any>(config: ProxyConfiguration): Promise<ProxyResponse<T>>;
  get<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  post<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  put<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  patch<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  delete<T = any>(config: Omit<ProxyConfiguration, 'method'>): Promise<ProxyResponse<T>>;
  paginate<T = any>(config: ProxyConfiguration): AsyncGenerator<T[], undefined, void>;
  getConnection(): Promise<Connection>;
  getMetadata<T = Metadata>(): Promise<T>;
  setMetadata(metadata: Record<string, unknown>): Promise<void>;
  updateMetadata(metadata: Record<string, unknown>): Promise<void>;
  getToken(): Promise<never>;
  log(message: unknown, options?: { level?: LogLevel } | Record<string, unknown>): Promise<void>;
  /** Nango's semantics: resolves to the successful `safeParse` result (read `.data`); throws ActionError otherwise. */
  zodValidateInput<T>(args: { zodSchema: z.ZodType<T>; input: unknown }): Promise<z.ZodSafeParseSuccess<T>>;
  /** The environment's variables (`PUT /environment-variables`); an empty list when none are set. */
  getEnvironmentVariables(): Promise<Array<{ name: string; value: string }> | null>;
  /** The integration's inbound webhook URL (`<public URL>/webhook/<environment>/<integration>`): give it to the provider. */
  getWebhookURL(): Promise<string | null | undefined>;
}

export interface NangoSync<
  M extends Models = Models,
  Metadata = Record<string, unknown> | null,
  Checkpoint = Record<string, unknown>,
> extends NangoAction<Metadata> {
  /** Start of the last successful run (legacy scripts build `since` filters from it). */
  readonly lastSyncDate: Date | null;
  batchSave<K extends ModelName<M>>(records: Array<z.input<M[K]>>, model: K): Promise<boolean>;
  batchUpdate<K extends ModelName<M>>(
    records: Array<Partial<z.input<M[K]>> & { id: string | number }>,
    model: K,
  ): Promise<boolean>;
  batchDelete<K extends ModelName<M>>(
    records: Array<{ id: string | number } & Record<string, unknown>>,
    model: K,
  ): Promise<boolean>;
  trackDeletesStart(model: ModelName<M>): Promise<void>;
  trackDeletesEnd(model: ModelName<M>): Promise<void>;
  getCheckpoint(): Promise<Checkpoint | null>;
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
  clearCheckpoint(): Promise<void>;
}

/**
 * The `NangoSync` of legacy (nango.yaml) scripts, as the `models.ts` generated from nango.yaml
 * exports it: record types are the generated interfaces, model names plain strings (Nango's
 * `batchSave<T extends object>(results: T[], model: string)`).
 */
export interface LegacyNangoSync
  extends Omit<NangoSync, 'batchSave' | 'batchUpdate' | 'batchDelete' | 'trackDeletesStart' | 'trackDeletesEnd'> {
  batchSave<T extends object>(results: T[], model: string): Promise<boolean | null>;
  batchUpdate<T extends object>(results: T[], model: string): Promise<boolean | null>;
  batchDelete<T extends object>(results: T[], model: string): Promise<boolean | null>;
  trackDeletesStart(model: string): Promise<void>;
  trackDeletesEnd(model: string): Promise<void>;
}

/** The `NangoAction` of legacy (nango.yaml) scripts (see LegacyNangoSync). */
export type LegacyNangoAction = NangoAction;

export interface Endpoint {
  method: HttpMethod;
  path: string;
  group?: string;
}

export interface SyncDefinition<
  M extends Models,
  MetaSchema extends z.ZodType | undefined,
  CheckpointSchema extends z.ZodType | undefined,
> {
  description: string;
  version?: string;
  /** `every hour`, `every 30 minutes`, `every day`, … */
  frequency: string;
  autoStart?: boolean;
  syncType?: 'full' | 'incremental';
  endpoints?: Endpoint[];
  models: M;
  metadata?: MetaSchema;
  checkpoint?: CheckpointSchema;
  scopes?: string[];
  trackDeletes?: boolean;
  webhookSubscriptions?: string[];
  /**
   * Weft only: what to do with records that do not match their model. `warn` stores them and
   * reports each (record id, JSON path, reason) in the run log, sync status and webhook, as Nango
   * keeps them; `reject` refuses the batch; `off` checks nothing. @default the deployment's (`warn`)
   */
  validation?: 'warn' | 'reject' | 'off';
  exec: (
    nango: NangoSync<
      M,
      MetaSchema extends z.ZodType ? z.infer<MetaSchema> : Record<string, unknown> | null,
      CheckpointSchema extends z.ZodType ? z.infer<CheckpointSchema> : Record<string, unknown>
    >,
  ) => Promise<void>;
  onWebhook?: (nango: NangoSync<M>, payload: unknown) => Promise<void>;
}

export interface ActionDefinition<
  In extends z.ZodType,
  Out extends z.ZodType,
  MetaSchema extends z.ZodType | undefined,
> {
  description: string;
  version?: string;
  input: In;
  output: Out;
  endpoint?: Endpoint;
  metadata?: MetaSchema;
  scopes?: string[];
  exec: (
    nango: NangoAction<MetaSchema extends z.ZodType ? z.infer<MetaSchema> : Record<string, unknown> | null>,
    input: z.infer<In>,
  ) => Promise<z.input<Out>>;
}

export const SCRIPT_KIND = '__weftScriptKind';

/** Declare a sync (Nango's zero-yaml form). */
export function createSync<
  M extends Models,
  MetaSchema extends z.ZodType | undefined = undefined,
  CheckpointSchema extends z.ZodType | undefined = undefined,
>(definition: SyncDefinition<M, MetaSchema, CheckpointSchema>): SyncDefinition<M, MetaSchema, CheckpointSchema> {
  Object.defineProperty(definition, SCRIPT_KIND, { value: 'sync', enumerable: false });
  return definition;
}

/** Declare an action (Nango's zero-yaml form). */
export function createAction<
  In extends z.ZodType,
  Out extends z.ZodType,
  MetaSchema extends z.ZodType | undefined = undefined,
>(definition: ActionDefinition<In, Out, MetaSchema>): ActionDefinition<In, Out, MetaSchema> {
  Object.defineProperty(definition, SCRIPT_KIND, { value: 'action', enumerable: false });
  return definition;
}

/** The connection lifecycle events an event script can react to. */
export type OnEventType = 'post-connection-creation' | 'pre-connection-deletion' | 'validate-connection';

export interface OnEventDefinition<MetaSchema extends z.ZodType | undefined = undefined> {
  description: string;
  version?: string;
  /**
   * When it runs: after a connection is created, before one is deleted (its records are still
   * there), or while one is being created — throwing there refuses the connection with the
   * error's message.
   */
  event: OnEventType;
  metadata?: MetaSchema;
  exec: (
    nango: NangoAction<MetaSchema extends z.ZodType ? z.infer<MetaSchema> : Record<string, unknown> | null>,
  ) => Promise<void> | void;
}

/** Declare an event script (Nango's zero-yaml `createOnEvent`), in `integrations/<key>/on-events/`. */
export function createOnEvent<MetaSchema extends z.ZodType | undefined = undefined>(
  definition: OnEventDefinition<MetaSchema>,
): OnEventDefinition<MetaSchema> {
  Object.defineProperty(definition, SCRIPT_KIND, { value: 'on-event', enumerable: false });
  return definition;
}

export type NangoSyncLocal = NangoSync;
export type NangoActionLocal = NangoAction;
