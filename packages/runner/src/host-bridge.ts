import { type Context, context, trace } from '@opentelemetry/api';
import type { AuthService, ConnectionRef } from '@weft/auth';
import type { ConnectionRowId, Pool } from '@weft/db';
import { type OutboundProxy, type PaginateOptions, type ProxyRequestConfig, paginate } from '@weft/proxy';
import type { RecordStore, ValidationPolicy } from '@weft/records';
import type { CheckpointKey, CheckpointStore } from './checkpoint-store.js';
import type { ScriptDefinition } from './describe-script.js';
import { runnerErrors } from './errors.js';
import {
  dispatchHostCall,
  type HostArgs,
  type HostHandlers,
  type PageSeen,
  type PaginateStep,
  type ScriptConnection,
  type ScriptProxyConfig,
} from './host-protocol.js';
import type { HostHandler } from './sandbox.js';

export interface ModelCounts {
  added: number;
  updated: number;
  deleted: number;
}

export interface BridgeContext {
  pool: Pool;
  /** nango.*Checkpoint (owned by the scheduler, injected). */
  checkpoints: CheckpointStore;
  proxy: OutboundProxy;
  records: RecordStore;
  auth: AuthService;
  runId: string;
  connection: { id: ConnectionRowId; environmentId: number; providerConfigKey: string; connectionId: string };
  scriptName: string;
  variant: string;
  definition: ScriptDefinition;
  validation: ValidationPolicy;
  /** Records per batch call. @default 10000 */
  maxBatchRecords: number;
  counts: Record<string, ModelCounts>;
  onLog: (level: string, message: string) => void;
  signal: AbortSignal;
  /** Dryrun: writes are validated and counted but not stored. */
  dryRun?: boolean;
  dryRecords?: Record<string, unknown[]>;
  /** A scheduled sync run's id: record writes count their changes under it, in their own transaction. */
  countedRunId?: string;
  /** Trace context of the run: bridge calls arrive from the isolate's thread without it. */
  traceContext?: Context;
  /**
   * Dryrun stubs (Nango's `dryrun --metadata / --checkpoint`): what getMetadata / getConnection().metadata
   * and getCheckpoint return instead of the stored values. A dryrun's saveCheckpoint updates the stub.
   */
  stub?: { metadata?: Record<string, unknown>; checkpoint?: Record<string, unknown> | null };
  /** Each record kept despite failing its model (policy `warn`), with its id, JSON path and reason. */
  onInvalidRecord?: (problem: InvalidRecord) => void;
  /** The environment's script variables (nango.getEnvironmentVariables); none when unset. */
  environmentVariables?: () => Promise<Array<{ name: string; value: string }>>;
}

/** A record that did not match its model (reported, and stored under the default policy). */
export interface InvalidRecord {
  model: string;
  recordId: string;
  path: string;
  reason: string;
}

const tracer = trace.getTracer('weft-runner');

/**
 * What every handler of one run works with: the caller's context plus what the bridge keeps
 * between calls (open paginators). Built once per run by `createHostBridge`.
 */
interface RunHost {
  ctx: BridgeContext;
  /** The run's own connection: the only one any operation reaches. */
  ref: ConnectionRef;
  /** The sync's models by name (none for actions). */
  models: Record<string, unknown>;
  paginators: Map<string, Paginator>;
  paginatorCount: number;
}

interface Paginator {
  iterator: AsyncGenerator<unknown[]>;
  /** The page the script's on_page has not seen yet (it runs in the sandbox, with the next step). */
  pending: PageSeen | undefined;
}

type RecordWrite = 'batchSave' | 'batchUpdate' | 'batchDelete';

/**
 * The host side of the sandbox door: every operation a script can ask for (declared in
 * host-protocol.ts, arguments validated there with zod), everything scoped to the run's own
 * connection. Nothing here returns a credential.
 */
export function createHostBridge(ctx: BridgeContext): HostHandler {
  const run: RunHost = {
    ctx,
    ref: {
      environmentId: ctx.connection.environmentId,
      providerConfigKey: ctx.connection.providerConfigKey,
      connectionId: ctx.connection.connectionId,
    },
    models: ctx.definition.kind === 'sync' ? ctx.definition.models : {},
    paginators: new Map(),
    paginatorCount: 0,
  };
  const parent = () => ctx.traceContext ?? context.active();
  // Writes get their own span (child of the run); proxy calls get theirs from the proxy.
  return (op, args) =>
    context.with(parent(), () =>
      TRACED.has(op) ? tracedCall(run, op, args) : dispatchHostCall(HANDLERS, run, op, args),
    );
}

const TRACED = new Set(['batchSave', 'batchUpdate', 'batchDelete', 'trackDeletesEnd']);

function tracedCall(run: RunHost, op: string, args: unknown[]): Promise<unknown> {
  const attributes = {
    'weft.model': String(args[0]),
    'weft.records': Array.isArray(args[1]) ? args[1].length : 0,
  };
  return tracer.startActiveSpan(`records.${op}`, { attributes }, async (span) => {
    try {
      return await dispatchHostCall(HANDLERS, run, op, args);
    } catch (error) {
      span.setStatus({ code: 2, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** One handler per operation of host-protocol.ts; the type makes a missing one a compile error. */
const HANDLERS: HostHandlers<RunHost> = {
  proxy: proxyRequest,
  'paginate.start': startPaginator,
  'paginate.next': nextPage,
  batchSave: (run, [model, records]) => writeRecords(run, 'batchSave', model, records),
  batchUpdate: (run, [model, records]) => writeRecords(run, 'batchUpdate', model, records),
  batchDelete: (run, [model, records]) => writeRecords(run, 'batchDelete', model, records),
  trackDeletesStart,
  trackDeletesEnd,
  getCheckpoint,
  saveCheckpoint,
  clearCheckpoint,
  getConnection,
  getMetadata,
  setMetadata: (run, [metadata]) => writeMetadata(run, 'setMetadata', metadata),
  updateMetadata: (run, [metadata]) => writeMetadata(run, 'updateMetadata', metadata),
  getEnvironmentVariables,
  getToken,
  sleep,
};

/** Refuse a request naming another integration or connection than the run's own. */
function ownConnection(
  run: RunHost,
  config: { providerConfigKey?: string | undefined; connectionId?: string | undefined },
  operation: string,
): void {
  if (
    (config.providerConfigKey && config.providerConfigKey !== run.ref.providerConfigKey) ||
    (config.connectionId && config.connectionId !== run.ref.connectionId)
  ) {
    throw runnerErrors.create('WEFT_RUNNER_FORBIDDEN', {
      operation,
      reason: 'a script can only use its own connection',
    });
  }
}

async function proxyRequest(run: RunHost, [config]: HostArgs<'proxy'>) {
  ownConnection(run, config, 'nango.proxy');
  const { providerConfigKey: _k, connectionId: _c, paginate: _p, ...request } = config;
  const response = await run.ctx.proxy.request(run.ref, request as ProxyRequestConfig, {
    runId: run.ctx.runId,
    signal: run.ctx.signal,
  });
  const data = Buffer.isBuffer(response.data) ? Array.from(response.data) : response.data;
  return { status: response.status, headers: response.headers, data };
}

async function startPaginator(run: RunHost, [config]: HostArgs<'paginate.start'>): Promise<string> {
  ownConnection(run, config, 'nango.paginate');
  const { providerConfigKey: _k, connectionId: _c, ...request } = config as ScriptProxyConfig;
  const id = `p${++run.paginatorCount}`;
  const state: Paginator = { iterator: undefined as unknown as AsyncGenerator<unknown[]>, pending: undefined };
  const options = { ...(request.paginate ?? {}) } as PaginateOptions;
  // The script's on_page runs in the sandbox: capture what it needs and hand it over with the next step.
  options.on_page = (page) => {
    state.pending = {
      nextPageParam: page.nextPageParam,
      response: { status: page.response.status, headers: page.response.headers, data: page.response.data },
    };
  };
  state.iterator = paginate(
    run.ctx.proxy,
    run.ref,
    { ...(request as ProxyRequestConfig), paginate: options },
    { runId: run.ctx.runId, signal: run.ctx.signal },
  );
  run.paginators.set(id, state);
  return id;
}

async function nextPage(run: RunHost, [id]: HostArgs<'paginate.next'>): Promise<PaginateStep> {
  const state = run.paginators.get(id);
  if (state === undefined)
    throw runnerErrors.create('WEFT_RUNNER_INVALID_CALL', { operation: 'nango.paginate', reason: 'unknown paginator' });
  state.pending = undefined;
  const step = await state.iterator.next();
  const previousPage = state.pending;
  if (step.done) {
    run.paginators.delete(id);
    return { done: true, previousPage };
  }
  return { done: false, page: step.value, previousPage };
}

/** A model this sync declares, or WEFT_RUNNER_INVALID_CALL listing the ones it does. */
function declaredModel(run: RunHost, name: string, operation: string): string {
  if (!(name in run.models)) {
    throw runnerErrors.create('WEFT_RUNNER_INVALID_CALL', {
      operation,
      reason: `unknown model ${JSON.stringify(name)}; this sync declares ${Object.keys(run.models).join(', ') || 'no models'}`,
    });
  }
  return name;
}

function countsOf(run: RunHost, model: string): ModelCounts {
  run.ctx.counts[model] ??= { added: 0, updated: 0, deleted: 0 };
  return run.ctx.counts[model];
}

function reportInvalid(run: RunHost, model: string, w: { recordId: string; path: string; reason: string }): void {
  run.ctx.onLog('warn', `record ${w.recordId} of ${model} is invalid at ${w.path}: ${w.reason}`);
  run.ctx.onInvalidRecord?.({ model, recordId: w.recordId, path: w.path, reason: w.reason });
}

/** Where a run's record writes go: its connection and model, counted under the scheduled run. */
function recordScope(run: RunHost, model: string) {
  return {
    environmentId: run.ref.environmentId,
    connectionRowId: run.ctx.connection.id,
    model,
    ...(run.ctx.countedRunId !== undefined ? { runId: run.ctx.countedRunId } : {}),
  };
}

async function writeRecords(
  run: RunHost,
  op: RecordWrite,
  model: string,
  list: Array<Record<string, unknown>>,
): Promise<true> {
  const { ctx } = run;
  const name = declaredModel(run, model, `nango.${op}`);
  if (list.length > ctx.maxBatchRecords) {
    throw runnerErrors.create('WEFT_RUNNER_PAYLOAD_TOO_LARGE', {
      operation: `nango.${op}`,
      size: `${list.length} records`,
      limit: `${ctx.maxBatchRecords} records per call`,
    });
  }
  if (ctx.dryRun) return dryWrite(run, op, name, list);
  const options = {
    jsonSchema: run.models[name] as object,
    validation: ctx.validation,
    onWarning: (w: { recordId: string; path: string; reason: string }) => reportInvalid(run, name, w),
  };
  const scope = recordScope(run, name);
  const result =
    op === 'batchSave'
      ? await ctx.records.batchSave(scope, list, options)
      : op === 'batchUpdate'
        ? await ctx.records.batchUpdate(scope, list, options)
        : await ctx.records.batchDelete(scope, list);
  const c = countsOf(run, name);
  c.added += result.added;
  c.updated += result.updated;
  c.deleted += result.deleted;
  return true;
}

/** Dryrun: saves are validated, every write is counted and kept for the caller, nothing is stored. */
async function dryWrite(run: RunHost, op: RecordWrite, name: string, list: Array<Record<string, unknown>>) {
  const { ctx } = run;
  if (op === 'batchSave') {
    const { validateRecords } = await import('@weft/records');
    validateRecords(
      name,
      run.models[name] as object,
      list.map((record) => ({ id: String(record.id), record })),
      ctx.validation,
      (w) => reportInvalid(run, name, w),
    );
  }
  const dry = ctx.dryRecords ?? {};
  ctx.dryRecords = dry;
  dry[name] = [...(dry[name] ?? []), ...list];
  countsOf(run, name)[op === 'batchDelete' ? 'deleted' : op === 'batchSave' ? 'added' : 'updated'] += list.length;
  return true as const;
}

async function trackDeletesStart(run: RunHost, [model]: HostArgs<'trackDeletesStart'>): Promise<null> {
  const name = declaredModel(run, model, 'nango.trackDeletesStart');
  if (!run.ctx.dryRun) await run.ctx.records.trackDeletesStart(recordScope(run, name));
  return null;
}

async function trackDeletesEnd(run: RunHost, [model]: HostArgs<'trackDeletesEnd'>): Promise<null> {
  const name = declaredModel(run, model, 'nango.trackDeletesEnd');
  if (!run.ctx.dryRun)
    countsOf(run, name).deleted += (await run.ctx.records.trackDeletesEnd(recordScope(run, name))).deleted;
  return null;
}

// Checkpoints: the scheduler owns the sync_checkpoints table and injects its store.

function checkpointKey(run: RunHost): CheckpointKey {
  return { connectionRowId: run.ctx.connection.id, syncName: run.ctx.scriptName, variant: run.ctx.variant };
}

async function getCheckpoint(run: RunHost): Promise<unknown> {
  if (run.ctx.stub?.checkpoint !== undefined) return run.ctx.stub.checkpoint;
  return run.ctx.checkpoints.get(checkpointKey(run));
}

async function saveCheckpoint(run: RunHost, [checkpoint]: HostArgs<'saveCheckpoint'>): Promise<null> {
  if (run.ctx.dryRun && run.ctx.stub) run.ctx.stub.checkpoint = checkpoint;
  if (!run.ctx.dryRun) await run.ctx.checkpoints.save(checkpointKey(run), checkpoint);
  return null;
}

async function clearCheckpoint(run: RunHost): Promise<null> {
  if (run.ctx.dryRun && run.ctx.stub) run.ctx.stub.checkpoint = null;
  if (!run.ctx.dryRun) await run.ctx.checkpoints.clear(checkpointKey(run));
  return null;
}

async function getConnection(run: RunHost, args: HostArgs<'getConnection'>): Promise<ScriptConnection> {
  const { ctx, ref } = run;
  if (args.length > 0)
    ownConnection(
      run,
      { providerConfigKey: String(args[0] ?? ''), connectionId: String(args[1] ?? '') },
      'nango.getConnection',
    );
  const record = await ctx.auth.findConnectionRecord(ref);
  const integration = await ctx.auth.getIntegration(ref.environmentId, ref.providerConfigKey);
  const secret = (ctx.auth.effectiveProvider(integration).secondary_tokens ?? []).map((t) => t.name);
  return {
    id: record.id,
    connection_id: record.connectionId,
    provider_config_key: record.providerConfigKey,
    provider: integration.provider,
    connection_config: publicConnectionConfig(record.connectionConfig, secret),
    metadata: ctx.stub?.metadata ?? record.metadata,
    credentials: {},
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

async function getMetadata(run: RunHost): Promise<unknown> {
  if (run.ctx.stub?.metadata !== undefined) return run.ctx.stub.metadata;
  return (await run.ctx.auth.findConnectionRecord(run.ref)).metadata;
}

async function writeMetadata(
  run: RunHost,
  op: 'setMetadata' | 'updateMetadata',
  metadata: Record<string, unknown>,
): Promise<null> {
  const { ctx, ref } = run;
  if (ctx.dryRun) return null;
  if (op === 'setMetadata')
    await ctx.auth.setMetadata(ref.environmentId, ref.providerConfigKey, [ref.connectionId], metadata);
  else await ctx.auth.updateMetadata(ref.environmentId, ref.providerConfigKey, [ref.connectionId], metadata);
  return null;
}

async function getEnvironmentVariables(run: RunHost): Promise<Array<{ name: string; value: string }>> {
  // Nango answers the list (empty when none are set), never credentials.
  return (await run.ctx.environmentVariables?.()) ?? [];
}

async function getToken(): Promise<never> {
  throw runnerErrors.create('WEFT_RUNNER_FORBIDDEN', {
    operation: 'nango.getToken',
    reason: 'tokens never enter the sandbox; call the API through nango.get/post/proxy, which injects them',
  });
}

async function sleep(run: RunHost, [requested]: HostArgs<'sleep'>): Promise<null> {
  const ms = Math.max(0, Math.min(Number(requested) || 0, 60_000));
  const { signal } = run.ctx;
  // The listener goes when the timer fires: one left per sleep made every later
  // addEventListener slower (EventTarget scans its listeners), quadratic over a run.
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
  return null;
}

/** Connection config without secondary tokens: credentials of any kind stay on the host. */
function publicConnectionConfig(config: Record<string, unknown>, secretKeys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (!secretKeys.includes(key)) out[key] = value;
  return out;
}
