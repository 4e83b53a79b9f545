import { createHash } from 'node:crypto';
import { errorSpecOf, isWeftError, WeftError, wrapWeftError } from '@weft/core';
import type ivm from 'isolated-vm';
import { runnerErrors } from './errors.js';
import { isolatePool, resolveShape } from './isolate-pool.js';
import { MAX_TIMER_MS, type SandboxGuardLimits } from './sandbox-guards.js';
import { bundleUsesSharedZod, evaluateSandboxZod } from './sandbox-zod.js';
import { mapStack, withoutHostFrames } from './source-maps.js';

export interface SandboxLimits {
  /** V8 heap limit of the isolate. @default 128 */
  memoryMb: number;
  /** Wall-clock limit of one run. @default 15 minutes */
  wallMs: number;
  /** CPU time limit of one run (time spent in JS, not waiting for the network). @default 5 minutes */
  cpuMs: number;
}

export const defaultLimits: SandboxLimits = { memoryMb: 128, wallMs: 15 * 60_000, cpuMs: 5 * 60_000 };

/** A host operation a script asked for; the result must be JSON-serialisable. */
export type HostHandler = (op: string, args: unknown[]) => Promise<unknown>;

export interface SandboxRunOptions {
  name: string;
  /** `webhook`: a sync's webhook handler (onWebhook / onWebhookPayloadReceived) called with `input` as the payload. */
  kind: 'sync' | 'action' | 'webhook';
  bundle: string;
  sourceMap?: string;
  input?: unknown;
  env: {
    connectionId: string;
    providerConfigKey: string;
    variant?: string;
    lastSyncDate: string | null;
    /** What nango.getWebhookURL() returns. @default null */
    webhookUrl?: string | null;
  };
  host: HostHandler;
  onLog?: (level: string, message: string) => void;
  limits?: Partial<SandboxLimits>;
  signal?: AbortSignal;
  /** Largest single bridge call (JSON bytes), e.g. a huge batchSave. @default 32 MiB */
  maxPayloadBytes?: number;
  /** Limits enforced inside the isolate before anything crosses to the host (sandbox-guards.ts). */
  guards?: Partial<SandboxGuardLimits>;
  /** Told how many log lines the isolate dropped over its line limit (never copied out). */
  onLogsDropped?: (count: number) => void;
}

export interface SandboxResult {
  output?: unknown;
  /** Time to create the isolate and load the script (ms). */
  startMs: number;
}

interface ScriptError {
  name?: string;
  message: string;
  stack?: string;
  code?: string;
  payload?: Record<string, unknown>;
  isActionError?: boolean;
  issues?: unknown;
  response?: { status: number; data: unknown };
  /** Set when the script let a host error escape: its key in `HostErrors`. */
  hostError?: number;
}

/**
 * The errors the host answered a run's calls with, kept so that one the script lets escape is
 * re-raised as itself (code, status, details, cause) rather than rebuilt from what crossed. The
 * most recent ones only: a script catching thousands of failed calls must not grow the host.
 */
class HostErrors {
  private readonly kept = new Map<number, WeftError>();
  private next = 0;
  /** Remember `error` (when it is Weft's); its key crosses into the isolate with the error data. */
  keep(error: unknown): number | undefined {
    if (!isWeftError(error) || !(error instanceof WeftError)) return undefined;
    const key = ++this.next;
    this.kept.set(key, error);
    if (this.kept.size > 100) this.kept.delete(key - 100);
    return key;
  }
  find(key: number | undefined, code: string): WeftError | undefined {
    const error = key === undefined ? undefined : this.kept.get(key);
    return error?.code === code ? error : undefined;
  }
}

/**
 * The Weft error a script failed with, as the host raised it or, when that one is no longer
 * kept, rebuilt through the catalogue from the data that crossed (the script may also have
 * thrown an error of its own carrying a Weft code: then its code must be a declared one).
 */
function surfacedWeftError(error: ScriptError & { code: string }, hostErrors: HostErrors): WeftError | undefined {
  const original = hostErrors.find(error.hostError, error.code);
  if (original) return original;
  const spec = errorSpecOf(error.code);
  return spec ? new WeftError(error.code, error.message, spec.status) : undefined;
}

// V8 code cache per bundle: later runs skip parsing (isolate start 5.9 → 3.4 ms, notes/limits.md §4).
const codeCache = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();

function errorJson(
  error: unknown,
  hostError: number | undefined,
): {
  name: string;
  message: string;
  code?: string;
  details?: unknown;
  response?: unknown;
  hostError?: number;
} {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    details?: unknown;
    response?: { status: number; data: unknown; headers?: unknown };
  };
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(error),
    ...(e?.code ? { code: e.code } : {}),
    ...(e?.details ? { details: e.details } : {}),
    ...(e?.response
      ? { response: { status: e.response.status, data: e.response.data, headers: e.response.headers } }
      : {}),
    ...(hostError !== undefined ? { hostError } : {}),
  };
}

/**
 * Run one sync or action in a fresh isolate: memory, wall-clock and CPU limits, cancellable at
 * any moment (the isolate is disposed, which stops even `while (true) {}`), with the host
 * bridge as the only door out. Every bridge call is handled by `host`, which validates it.
 */
export async function runInSandbox(options: SandboxRunOptions): Promise<SandboxResult> {
  const limits = { ...defaultLimits, ...options.limits };
  const started = performance.now();
  // A pre-warmed isolate when one is ready (isolate-pool.ts), handed to this run only.
  const needsZod = bundleUsesSharedZod(options.bundle);
  const prepared = await isolatePool.acquire(resolveShape(limits.memoryMb, options.guards), needsZod);
  const { isolate, context } = prepared;
  let stopReason: 'timeout' | 'cpu' | 'memory' | 'cancelled' | null = null;
  const stop = (reason: 'timeout' | 'cpu' | 'cancelled') => {
    if (stopReason === null) stopReason = reason === 'cpu' && nearMemoryLimit() ? 'memory' : reason;
    if (!isolate.isDisposed) isolate.dispose();
  };
  // A script filling its heap makes V8 collect over and over before it gives up; that can use
  // the CPU budget first, but the run was stopped by its memory, and says so. The heap is sampled
  // asynchronously with the CPU check: a synchronous query would wait on the main thread for the
  // isolate to pause, which a busy script may not do for seconds. (Best effort: a busy isolate
  // may not answer the sample either, and then the CPU limit is what is reported.)
  let heapBytes = 0;
  let heapQuery = false;
  const sampleHeap = () => {
    if (heapQuery || isolate.isDisposed) return;
    heapQuery = true;
    isolate.getHeapStatistics().then(
      (heap) => {
        heapBytes = heap.used_heap_size + heap.externally_allocated_size;
        heapQuery = false;
      },
      () => {
        heapQuery = false;
      },
    );
  };
  const nearMemoryLimit = () => heapBytes >= 0.8 * limits.memoryMb * 1048576;
  const onAbort = () => stop('cancelled');
  if (options.signal?.aborted) stop('cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const wallTimer = setTimeout(() => stop('timeout'), limits.wallMs);
  const cpuTimer = setInterval(() => {
    if (!isolate.isDisposed && (Number(isolate.cpuTime) - prepared.cpuAtStart) / 1e6 > limits.cpuMs) stop('cpu');
    else sampleHeap();
  }, 50);
  // The run's only host timer (sandbox-guards.ts keeps every script timer in the isolate): arming
  // it again settles the previous one at once, so a timer flood never piles up host timers.
  let hostTimer: NodeJS.Timeout | undefined;
  let hostTimerDone: (() => void) | undefined;
  const wake = () => {
    clearTimeout(hostTimer);
    const done = hostTimerDone;
    hostTimerDone = undefined;
    done?.();
  };
  let stats: ivm.Reference<() => string> | undefined;
  let logsReceived = 0;
  const hostErrors = new HostErrors();
  try {
    prepared.bind({
      call: async (op: string, argsJson: string) => {
        try {
          const limit = options.maxPayloadBytes ?? 32 * 1024 * 1024;
          if (argsJson.length > limit) {
            throw runnerErrors.create('WEFT_RUNNER_PAYLOAD_TOO_LARGE', {
              operation: `nango.${op}`,
              size: `${(argsJson.length / 1048576).toFixed(1)} MiB`,
              limit: `${(limit / 1048576).toFixed(0)} MiB per call`,
            });
          }
          const args = JSON.parse(argsJson) as unknown[];
          const value = await options.host(op, Array.isArray(args) ? args : []);
          return JSON.stringify({ ok: true, value: value === undefined ? null : value });
        } catch (error) {
          return JSON.stringify({ ok: false, error: errorJson(error, hostErrors.keep(error)) });
        }
      },
      log: (level: string, message: string) => {
        logsReceived += 1;
        options.onLog?.(String(level), String(message));
      },
      timer: (ms: number) =>
        new Promise<void>((resolve) => {
          wake();
          hostTimerDone = resolve;
          hostTimer = setTimeout(wake, Math.max(0, Math.min(Number(ms) || 0, MAX_TIMER_MS)));
        }),
    });
    stats = prepared.stats;
    const run = prepared.run;
    // A bundle compiled to read the sandbox's zod, in an isolate prepared without it.
    if (needsZod && !prepared.hasZod) await evaluateSandboxZod(isolate, context);
    const cacheKey = createHash('sha1').update(options.bundle).digest('base64');
    const cached = codeCache.get(cacheKey);
    const script = await isolate.compileScript(options.bundle, {
      filename: 'weft-script.js',
      ...(cached ? { cachedData: cached } : { produceCachedData: true }),
    });
    const produced = (script as unknown as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    if (!cached && produced) codeCache.set(cacheKey, produced);
    await script.run(context);
    prepared.loaded();
    const startMs = performance.now() - started;
    const raw = await run.apply(
      undefined,
      [
        options.kind,
        options.input === undefined ? undefined : JSON.stringify(options.input),
        JSON.stringify(options.env),
      ],
      { arguments: { copy: true }, result: { promise: true, copy: true } },
    );
    const result = JSON.parse(raw) as { ok: boolean; output?: unknown; error?: ScriptError };
    if (result.ok) return { output: result.output, startMs };
    const error = result.error ?? { message: 'unknown error' };
    const stack = error.stack && options.sourceMap ? mapStack(error.stack, options.sourceMap) : error.stack;
    if (error.name === 'InvalidInput')
      throw runnerErrors.create(
        'WEFT_RUNNER_INVALID_INPUT',
        { name: options.name, reason: error.message },
        { issues: error.issues },
      );
    if (error.name === 'NoWebhookHandler')
      throw runnerErrors.create('WEFT_RUNNER_NO_WEBHOOK_HANDLER', { name: options.name });
    if (error.name === 'InvalidOutput')
      throw runnerErrors.create('WEFT_RUNNER_INVALID_OUTPUT', { name: options.name, reason: error.message });
    if (error.isActionError)
      throw runnerErrors.create(
        'WEFT_RUNNER_ACTION_FAILED',
        { name: options.name, message: error.message },
        { payload: error.payload ?? {}, stack },
      );
    if (error.code === 'WEFT_RUNNER_WASM_DISABLED')
      throw runnerErrors.create('WEFT_RUNNER_WASM_DISABLED', { name: options.name }, { stack });
    // Errors raised by Weft itself (validation, forbidden calls) surface as themselves: wrapped
    // with the script's name and stack, same code and status, the original as the cause.
    const surfaced = error.code?.startsWith('WEFT_')
      ? surfacedWeftError(error as ScriptError & { code: string }, hostErrors)
      : undefined;
    if (surfaced) throw wrapWeftError(surfaced, `${options.name} failed: ${error.message}`, { stack });
    throw runnerErrors.create(
      'WEFT_RUNNER_SCRIPT_FAILED',
      { name: options.name, message: error.message },
      { stack, ...(error.response ? { response: error.response } : {}) },
    );
  } catch (error) {
    const reason = stopReason as 'timeout' | 'cpu' | 'memory' | 'cancelled' | null;
    if (reason === 'cancelled') throw runnerErrors.create('WEFT_RUNNER_CANCELLED', { name: options.name });
    if (reason === 'timeout')
      throw runnerErrors.create('WEFT_RUNNER_TIMEOUT', { name: options.name, limit: `${limits.wallMs} ms wall-clock` });
    if (reason === 'cpu')
      throw runnerErrors.create('WEFT_RUNNER_TIMEOUT', { name: options.name, limit: `${limits.cpuMs} ms CPU` });
    if (reason === 'memory')
      throw runnerErrors.create('WEFT_RUNNER_MEMORY_LIMIT', { name: options.name, limit: limits.memoryMb });
    const message = (error as Error).message ?? '';
    if (
      /memory limit|Array buffer allocation failed|disposed/i.test(message) &&
      !(error as { code?: string }).code?.startsWith('WEFT_')
    ) {
      throw runnerErrors.create(
        'WEFT_RUNNER_MEMORY_LIMIT',
        { name: options.name, limit: limits.memoryMb },
        undefined,
        error,
      );
    }
    if ((error as { code?: string }).code?.startsWith('WEFT_')) throw error;
    const stack =
      (error as Error).stack && options.sourceMap
        ? mapStack((error as Error).stack ?? '', options.sourceMap)
        : withoutHostFrames((error as Error).stack ?? '');
    throw runnerErrors.create('WEFT_RUNNER_SCRIPT_FAILED', { name: options.name, message }, { stack }, error);
  } finally {
    clearTimeout(wallTimer);
    clearInterval(cpuTimer);
    wake();
    if (stats && !isolate.isDisposed) {
      const none = { logsDropped: 0, logsSent: 0 };
      // A timer callback may still keep the isolate busy after the run settled: never wait on it long.
      const seen = await Promise.race([
        stats
          .apply(undefined, [], { result: { copy: true }, timeout: 100 })
          .then((raw) => JSON.parse(String(raw)) as { logsDropped: number; logsSent: number })
          .catch(() => none),
        new Promise<typeof none>((resolve) => setTimeout(() => resolve(none), 250)),
      ]);
      if (seen.logsDropped > 0) options.onLogsDropped?.(seen.logsDropped);
      // Log lines cross as fire-and-forget tasks that can reach this thread after the run's result:
      // let the ones already sent land, so the run's log is complete when the caller stores it.
      for (let turn = 0; logsReceived < seen.logsSent && turn < 1_000; turn++) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    options.signal?.removeEventListener('abort', onAbort);
    if (!isolate.isDisposed) isolate.dispose();
    prepared.ended();
  }
}
