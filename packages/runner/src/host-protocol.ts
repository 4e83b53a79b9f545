import { z } from 'zod';
import { runnerErrors } from './errors.js';

/**
 * The host–sandbox protocol, declared once. Each entry is one operation a script can ask the host
 * for: the SDK method it serves (named in errors), the schema its arguments are checked with as
 * they cross into the host, and the type of its answer. From this table come
 *  - the stubs inside the isolate (`HOST_OPERATION_NAMES`, turned into `host[op](...args)` by the
 *    prelude; a test fails when the prelude uses a name not declared here, or leaves one unused),
 *  - the host's dispatcher (`dispatchHostCall`), whose handler table must have exactly one
 *    handler per entry, typed with that entry's parsed arguments and result (a missing,
 *    extra or mistyped handler is a compile error).
 * Adding an operation: one entry here, one handler in host-bridge.ts (the compiler asks for it),
 * one use in sandbox-prelude.ts (the protocol test asks for it).
 */

/** Phantom marker carrying an operation's result type (no value at run time). */
interface Answers<T> {
  readonly answer?: T;
}
const answers = <T>(): Answers<T> => ({});

const proxyConfig = z.looseObject({
  endpoint: z.string({ error: 'endpoint is required' }).min(1, { error: 'endpoint is required' }),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  params: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  data: z.unknown().optional(),
  retries: z.number().int().min(0).max(10).optional(),
  retryOn: z.array(z.number().int()).optional(),
  baseUrlOverride: z.string().optional(),
  responseType: z.enum(['json', 'text', 'arraybuffer']).optional(),
  paginate: z.record(z.string(), z.unknown()).optional(),
  decompress: z.boolean().optional(),
  providerConfigKey: z.string().optional(),
  connectionId: z.string().optional(),
});

/** A script's proxy request as the host accepts it. */
export type ScriptProxyConfig = z.output<typeof proxyConfig>;

const isPlainRecord = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

// Checked in place, not parsed: a zod array/record parse would copy every one of up to 10,000
// records on the hot path, and the records package validates each against its model anyway.
const recordList = z.custom<Array<Record<string, unknown>>>(
  (value) => Array.isArray(value) && value.every(isPlainRecord),
  { error: 'records must be an array of objects' },
);

const modelName = z.string({ error: 'the model name must be a string' });
const jsonObject = z.record(z.string(), z.unknown());
const none = z.tuple([]);

/** What `nango.proxy` answers (axios-shaped; a binary body crosses as an array of bytes). */
export interface ProxyAnswer {
  status: number;
  headers: Record<string, string>;
  data: unknown;
}

/** One step of a host-side paginator; `previousPage` feeds the script's `on_page`. */
export type PaginateStep =
  | { done: true; previousPage: PageSeen | undefined }
  | { done: false; page: unknown[]; previousPage: PageSeen | undefined };
export interface PageSeen {
  nextPageParam: unknown;
  response: unknown;
}

/** The connection as a script sees it: no credentials of any kind. */
export interface ScriptConnection {
  id: number;
  connection_id: string;
  provider_config_key: string;
  provider: string;
  connection_config: Record<string, unknown>;
  metadata: unknown;
  credentials: Record<string, never>;
  created_at: unknown;
  updated_at: unknown;
}

export const HOST_OPERATIONS = {
  // `lane: 'network'`: calls to the provider, throttled apart from the database-backed ones
  // (sandbox-guards.ts lets fewer of those be in flight, as they share the API's pool).
  proxy: { method: 'nango.proxy', lane: 'network', args: z.tuple([proxyConfig]), answers: answers<ProxyAnswer>() },
  'paginate.start': {
    method: 'nango.paginate',
    lane: 'network',
    args: z.tuple([proxyConfig]),
    answers: answers<string>(),
  },
  'paginate.next': {
    method: 'nango.paginate',
    lane: 'network',
    args: z.tuple([z.string()]),
    answers: answers<PaginateStep>(),
  },
  batchSave: { method: 'nango.batchSave', args: z.tuple([modelName, recordList]), answers: answers<true>() },
  batchUpdate: { method: 'nango.batchUpdate', args: z.tuple([modelName, recordList]), answers: answers<true>() },
  batchDelete: { method: 'nango.batchDelete', args: z.tuple([modelName, recordList]), answers: answers<true>() },
  trackDeletesStart: { method: 'nango.trackDeletesStart', args: z.tuple([modelName]), answers: answers<null>() },
  trackDeletesEnd: { method: 'nango.trackDeletesEnd', args: z.tuple([modelName]), answers: answers<null>() },
  getCheckpoint: { method: 'nango.getCheckpoint', args: none, answers: answers<unknown>() },
  saveCheckpoint: { method: 'nango.saveCheckpoint', args: z.tuple([jsonObject]), answers: answers<null>() },
  clearCheckpoint: { method: 'nango.clearCheckpoint', args: none, answers: answers<null>() },
  // Nango's optional overrides; anything else than the run's own connection is refused by the handler.
  getConnection: {
    method: 'nango.getConnection',
    args: z.tuple([z.unknown().optional(), z.unknown().optional()]).rest(z.unknown()),
    answers: answers<ScriptConnection>(),
  },
  getMetadata: { method: 'nango.getMetadata', args: none, answers: answers<unknown>() },
  setMetadata: { method: 'nango.setMetadata', args: z.tuple([jsonObject]), answers: answers<null>() },
  updateMetadata: { method: 'nango.updateMetadata', args: z.tuple([jsonObject]), answers: answers<null>() },
  getEnvironmentVariables: {
    method: 'nango.getEnvironmentVariables',
    args: none,
    answers: answers<Array<{ name: string; value: string }>>(),
  },
  getToken: { method: 'nango.getToken', args: none, answers: answers<never>() },
  // Served inside the isolate by sandbox-guards.ts; the host handles it only when no guards run (node:vm bench).
  sleep: { method: 'setTimeout', args: z.tuple([z.unknown()]), answers: answers<null>() },
} as const;

export type HostOperation = keyof typeof HOST_OPERATIONS;
type Spec<K extends HostOperation> = (typeof HOST_OPERATIONS)[K];

/** An operation's arguments as its handler receives them (parsed). */
export type HostArgs<K extends HostOperation> = z.output<Spec<K>['args']>;
/** An operation's answer. */
export type HostAnswer<K extends HostOperation> = Spec<K>['answers'] extends Answers<infer T> ? T : never;

/** A host call as a discriminated union on `op` (what crosses, after validation). */
export type HostCall = { [K in HostOperation]: { op: K; args: HostArgs<K> } }[HostOperation];

/** One handler per operation, each typed by its entry: the compiler rejects a missing one. */
export type HostHandlers<Context> = {
  [K in HostOperation]: (ctx: Context, args: HostArgs<K>) => Promise<HostAnswer<K>>;
};

/** The names the prelude turns into stubs inside the isolate. */
export const HOST_OPERATION_NAMES = Object.keys(HOST_OPERATIONS) as HostOperation[];

/** The operations that call the provider (the guards' network lane); all others are store calls. */
export const NETWORK_OPERATIONS = HOST_OPERATION_NAMES.filter(
  (op) => (HOST_OPERATIONS[op] as { lane?: string }).lane === 'network',
);

/** Whether `op` (untrusted, from the isolate) names a declared operation. */
export function isHostOperation(op: string): op is HostOperation {
  return Object.hasOwn(HOST_OPERATIONS, op);
}

/** The SDK method an operation serves, as errors name it. */
export function methodOf(op: HostOperation): string {
  return HOST_OPERATIONS[op].method;
}

/**
 * Check what a script sent for `op` against its schema. Bad input is the script's own making:
 * WEFT_RUNNER_INVALID_CALL (not retryable) naming the SDK method and each problem.
 */
export function parseHostArgs<K extends HostOperation>(op: K, args: unknown): HostArgs<K> {
  const spec: { method: string; args: z.ZodType } = HOST_OPERATIONS[op];
  const result = spec.args.safeParse(args);
  if (result.success) return result.data as HostArgs<K>;
  // The leading path element is the position in the argument list, which is the prelude's
  // order, not the script's: name the field inside the argument instead.
  const reason = result.error.issues.map((i) => `${i.path.slice(1).join('.') || 'argument'}: ${i.message}`).join('; ');
  throw runnerErrors.create('WEFT_RUNNER_INVALID_CALL', { operation: spec.method, reason });
}

/**
 * Route one raw call from the isolate to its handler: an undeclared name is refused, the
 * arguments are parsed with the operation's schema, and the handler gets them typed.
 */
export function dispatchHostCall<Context>(
  handlers: HostHandlers<Context>,
  ctx: Context,
  op: string,
  args: unknown[],
): Promise<unknown> {
  if (!isHostOperation(op)) {
    return Promise.reject(
      runnerErrors.create('WEFT_RUNNER_FORBIDDEN', { operation: String(op), reason: 'not an SDK operation' }),
    );
  }
  const name: HostOperation = op;
  let parsed: unknown;
  try {
    parsed = parseHostArgs(name, args);
  } catch (error) {
    return Promise.reject(error);
  }
  // One generic call site for every operation: the handler table's type ties args and handler.
  const handler = handlers[name] as (ctx: Context, args: unknown) => Promise<unknown>;
  return handler(ctx, parsed);
}
