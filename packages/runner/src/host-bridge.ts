import { type Context, context, trace } from '@opentelemetry/api';
import type { AuthService, ConnectionRef } from '@weft/auth';
import type { Pool } from '@weft/db';
import { type OutboundProxy, type PaginateOptions, type ProxyRequestConfig, paginate } from '@weft/proxy';
import type { RecordStore, ValidationPolicy } from '@weft/records';
import { z } from 'zod';
import type { CheckpointStore } from './checkpoint-store.js';
import type { ScriptDefinition } from './describe-script.js';
import { runnerErrors } from './errors.js';
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
  connection: { id: number; environmentId: number; providerConfigKey: string; connectionId: string };
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

const recordList = z.array(z.record(z.string(), z.unknown()), { error: 'records must be an array of objects' });

function parse<T extends z.ZodType>(schema: T, value: unknown, operation: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const reason = result.error.issues.map((i) => `${i.path.join('.') || 'argument'}: ${i.message}`).join('; ');
  throw runnerErrors.create('WEFT_RUNNER_INVALID_CALL', { operation, reason });
}

/** Connection config without secondary tokens: credentials of any kind stay on the host. */
function publicConnectionConfig(config: Record<string, unknown>, secretKeys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (!secretKeys.includes(key)) out[key] = value;
  return out;
}

/**
 * The host side of the sandbox door: every operation a script can ask for, each argument
 * validated with zod, everything scoped to the run's own connection. Nothing here returns a
 * credential.
 */
export function createHostBridge(ctx: BridgeContext): HostHandler {
  const ref: ConnectionRef = {
    environmentId: ctx.connection.environmentId,
    providerConfigKey: ctx.connection.providerConfigKey,
    connectionId: ctx.connection.connectionId,
  };
  const paginators = new Map<
    string,
    { iterator: AsyncGenerator<unknown[]>; pending: { nextPageParam: unknown; response: unknown } | undefined }
  >();
  let paginatorId = 0;
  const models = ctx.definition.kind === 'sync' ? ctx.definition.models : {};

  function ownConnection(
    config: { providerConfigKey?: string | undefined; connectionId?: string | undefined },
    operation: string,
  ): void {
    if (
      (config.providerConfigKey && config.providerConfigKey !== ref.providerConfigKey) ||
      (config.connectionId && config.connectionId !== ref.connectionId)
    ) {
      throw runnerErrors.create('WEFT_RUNNER_FORBIDDEN', {
        operation,
        reason: 'a script can only use its own connection',
      });
    }
  }

  function model(name: unknown, operation: string): string {
    if (typeof name !== 'string' || !(name in models)) {
      throw runnerErrors.create('WEFT_RUNNER_INVALID_CALL', {
        operation,
        reason: `unknown model ${JSON.stringify(name)}; this sync declares ${Object.keys(models).join(', ') || 'no models'}`,
      });
    }
    return name;
  }

  function records(value: unknown, operation: string): Array<Record<string, unknown>> {
    const list = parse(recordList, value, operation);
    if (list.length > ctx.maxBatchRecords) {
      throw runnerErrors.create('WEFT_RUNNER_PAYLOAD_TOO_LARGE', {
        operation,
        size: `${list.length} records`,
        limit: `${ctx.maxBatchRecords} records per call`,
      });
    }
    return list;
  }

  const count = (name: string) => {
    ctx.counts[name] ??= { added: 0, updated: 0, deleted: 0 };
    return ctx.counts[name];
  };

  const invalid = (name: string, w: { recordId: string; path: string; reason: string }) => {
    ctx.onLog('warn', `record ${w.recordId} of ${name} is invalid at ${w.path}: ${w.reason}`);
    ctx.onInvalidRecord?.({ model: name, recordId: w.recordId, path: w.path, reason: w.reason });
  };

  const scope = (name: string) => ({
    environmentId: ref.environmentId,
    connectionId: ctx.connection.id,
    model: name,
    ...(ctx.countedRunId !== undefined ? { runId: ctx.countedRunId } : {}),
  });

  const checkpointKey = { connectionRowId: ctx.connection.id, syncName: ctx.scriptName, variant: ctx.variant };

  const handle: HostHandler = async (op, args) => {
    switch (op) {
      case 'proxy': {
        const config = parse(proxyConfig, args[0], 'nango.proxy');
        ownConnection(config, 'nango.proxy');
        const { providerConfigKey: _k, connectionId: _c, paginate: _p, ...request } = config;
        const response = await ctx.proxy.request(ref, request as ProxyRequestConfig, {
          runId: ctx.runId,
          signal: ctx.signal,
        });
        const data = Buffer.isBuffer(response.data) ? Array.from(response.data) : response.data;
        return { status: response.status, headers: response.headers, data };
      }
      case 'paginate.start': {
        const config = parse(proxyConfig, args[0], 'nango.paginate');
        ownConnection(config, 'nango.paginate');
        const { providerConfigKey: _k, connectionId: _c, ...request } = config;
        const id = `p${++paginatorId}`;
        const state: {
          iterator: AsyncGenerator<unknown[]>;
          pending: { nextPageParam: unknown; response: unknown } | undefined;
        } = {
          iterator: undefined as unknown as AsyncGenerator<unknown[]>,
          pending: undefined,
        };
        const options = { ...(request.paginate ?? {}) } as PaginateOptions;
        // The script's on_page runs in the sandbox: capture what it needs and hand it over with the next step.
        options.on_page = (page) => {
          state.pending = {
            nextPageParam: page.nextPageParam,
            response: { status: page.response.status, headers: page.response.headers, data: page.response.data },
          };
        };
        state.iterator = paginate(
          ctx.proxy,
          ref,
          { ...(request as ProxyRequestConfig), paginate: options },
          { runId: ctx.runId, signal: ctx.signal },
        );
        paginators.set(id, state);
        return id;
      }
      case 'paginate.next': {
        const state = paginators.get(String(args[0]));
        if (state === undefined)
          throw runnerErrors.create('WEFT_RUNNER_INVALID_CALL', {
            operation: 'nango.paginate',
            reason: 'unknown paginator',
          });
        state.pending = undefined;
        const step = await state.iterator.next();
        const previousPage = state.pending;
        if (step.done) paginators.delete(String(args[0]));
        return step.done ? { done: true, previousPage } : { done: false, page: step.value, previousPage };
      }
      case 'batchSave':
      case 'batchUpdate':
      case 'batchDelete': {
        const name = model(args[0], `nango.${op}`);
        const list = records(args[1], `nango.${op}`);
        if (ctx.dryRun) {
          if (op === 'batchSave') {
            const { validateRecords } = await import('@weft/records');
            validateRecords(
              name,
              models[name],
              list.map((record) => ({ id: String(record.id), record })),
              ctx.validation,
              (w) => invalid(name, w),
            );
          }
          const dry = ctx.dryRecords ?? {};
          ctx.dryRecords = dry;
          dry[name] = [...(dry[name] ?? []), ...list];
          count(name)[op === 'batchDelete' ? 'deleted' : op === 'batchSave' ? 'added' : 'updated'] += list.length;
          return true;
        }
        const options = {
          jsonSchema: models[name] as object,
          validation: ctx.validation,
          onWarning: (w: { recordId: string; path: string; reason: string }) => invalid(name, w),
        };
        const result =
          op === 'batchSave'
            ? await ctx.records.batchSave(scope(name), list, options)
            : op === 'batchUpdate'
              ? await ctx.records.batchUpdate(scope(name), list, options)
              : await ctx.records.batchDelete(scope(name), list);
        const c = count(name);
        c.added += result.added;
        c.updated += result.updated;
        c.deleted += result.deleted;
        return true;
      }
      case 'trackDeletesStart': {
        const name = model(args[0], 'nango.trackDeletesStart');
        if (!ctx.dryRun) await ctx.records.trackDeletesStart(scope(name));
        return null;
      }
      case 'trackDeletesEnd': {
        const name = model(args[0], 'nango.trackDeletesEnd');
        if (!ctx.dryRun) count(name).deleted += (await ctx.records.trackDeletesEnd(scope(name))).deleted;
        return null;
      }
      case 'getCheckpoint': {
        if (ctx.stub?.checkpoint !== undefined) return ctx.stub.checkpoint;
        return ctx.checkpoints.get(checkpointKey);
      }
      case 'saveCheckpoint': {
        const checkpoint = parse(z.record(z.string(), z.unknown()), args[0], 'nango.saveCheckpoint');
        if (ctx.dryRun && ctx.stub) ctx.stub.checkpoint = checkpoint;
        if (!ctx.dryRun) {
          await ctx.checkpoints.save(checkpointKey, checkpoint);
        }
        return null;
      }
      case 'clearCheckpoint':
        if (ctx.dryRun && ctx.stub) ctx.stub.checkpoint = null;
        if (!ctx.dryRun) await ctx.checkpoints.clear(checkpointKey);
        return null;
      case 'getConnection': {
        if (args.length > 0)
          ownConnection(
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
      case 'getMetadata':
        if (ctx.stub?.metadata !== undefined) return ctx.stub.metadata;
        return (await ctx.auth.findConnectionRecord(ref)).metadata;
      case 'setMetadata':
      case 'updateMetadata': {
        const metadata = parse(z.record(z.string(), z.unknown()), args[0], `nango.${op}`);
        if (!ctx.dryRun) {
          if (op === 'setMetadata')
            await ctx.auth.setMetadata(ref.environmentId, ref.providerConfigKey, [ref.connectionId], metadata);
          else await ctx.auth.updateMetadata(ref.environmentId, ref.providerConfigKey, [ref.connectionId], metadata);
        }
        return null;
      }
      case 'getEnvironmentVariables':
        // Nango answers the list (empty when none are set), never credentials.
        return (await ctx.environmentVariables?.()) ?? [];
      case 'getToken':
        throw runnerErrors.create('WEFT_RUNNER_FORBIDDEN', {
          operation: 'nango.getToken',
          reason: 'tokens never enter the sandbox; call the API through nango.get/post/proxy, which injects them',
        });
      case 'sleep': {
        const ms = Math.max(0, Math.min(Number(args[0]) || 0, 60_000));
        // The listener goes when the timer fires: one left per sleep made every later
        // addEventListener slower (EventTarget scans its listeners), quadratic over a run.
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            ctx.signal.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, ms);
          ctx.signal.addEventListener('abort', done, { once: true });
        });
        return null;
      }
      default:
        throw runnerErrors.create('WEFT_RUNNER_FORBIDDEN', { operation: String(op), reason: 'not an SDK operation' });
    }
  };

  // Writes get their own span (child of the run); proxy calls get theirs from the proxy.
  return (op, args) =>
    context.with(ctx.traceContext ?? context.active(), () =>
      op === 'batchSave' || op === 'batchUpdate' || op === 'batchDelete' || op === 'trackDeletesEnd'
        ? tracer.startActiveSpan(
            `records.${op}`,
            {
              attributes: {
                'weft.model': String(args[0]),
                'weft.records': Array.isArray(args[1]) ? args[1].length : 0,
              },
            },
            async (span) => {
              try {
                return await handle(op, args);
              } catch (error) {
                span.setStatus({ code: 2, message: (error as Error).message });
                throw error;
              } finally {
                span.end();
              }
            },
          )
        : handle(op, args),
    );
}
