import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { type AuthService, integrationRowId } from '@weft/auth';
import { isRetryable, isWeftError } from '@weft/core';
import type { ConnectionRowId, Pool } from '@weft/db';
import type { OutboundProxy } from '@weft/proxy';
import type { RecordStore, ValidationPolicy } from '@weft/records';
import { assertBundleParses } from './check-bundle.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { CompiledScript } from './compile.js';
import {
  activeScripts,
  type DeployedSync,
  deployedSyncOf,
  deployScripts,
  findScript,
  rollback,
} from './deploy-store.js';
import { createHostBridge, type InvalidRecord, type ModelCounts } from './host-bridge.js';
import { isolatePool, resolveShape } from './isolate-pool.js';
import { runMetrics } from './run-metrics.js';
import { RunSlots } from './run-slots.js';
import { defaultLimits, type HostHandler, runInSandbox, type SandboxLimits } from './sandbox.js';
import { defaultGuardLimits } from './sandbox-guards.js';

export interface RunLog {
  level: string;
  message: string;
  at: string;
}

export type SyncRunMode = 'incremental' | 'full' | 'reset';

export interface SyncRunRequest {
  runId?: string;
  environmentId: number;
  connection: { id: ConnectionRowId; providerConfigKey: string; connectionId: string };
  syncName: string;
  variant?: string;
  /**
   * `full` clears the checkpoint first; `reset` also makes the whole successful run the complete
   * set of records, tombstoning every record of the sync's models that it did not save.
   */
  mode: SyncRunMode;
  /**
   * 1 for a new run; a retry (higher) resumes: it keeps the checkpoint and the deletion snapshot
   * its first attempt opened, so records saved before the failure are not lost. @default 1
   */
  attempt?: number;
  /** ISO start of the last successful run (legacy scripts' nango.lastSyncDate); null for full and reset runs. */
  lastSyncDate: string | null;
  signal?: AbortSignal;
  validation?: ValidationPolicy;
  /**
   * Run the sync's webhook handler (onWebhook / onWebhookPayloadReceived) with this payload instead
   * of its exec: same sandbox, limits, logs and record commits as a sync run; no checkpoint is
   * cleared and no deletion snapshot is opened.
   */
  webhook?: { payload: unknown };
  /** Dryrun only: metadata and checkpoint the script sees instead of the stored ones (Nango's --metadata / --checkpoint). */
  stub?: { metadata?: Record<string, unknown>; checkpoint?: Record<string, unknown> };
}

/** The invalid records of a run: how many, and the first ones (record id, JSON path, reason). */
export interface InvalidRecordsReport {
  count: number;
  /** At most MAX_INVALID_SAMPLES, in the order they were met. */
  records: InvalidRecord[];
}

export interface SyncRunResult {
  status: 'success' | 'failed' | 'cancelled';
  counts: Record<string, ModelCounts>;
  /** Records kept although they do not match their model (policy `warn`); absent when none. */
  invalidRecords?: InvalidRecordsReport;
  error?: { code: string; message: string; stack?: string; retryable: boolean };
  logs: RunLog[];
  durationMs: number;
}

export interface ActionRunRequest {
  environmentId: number;
  connection: { id: ConnectionRowId; providerConfigKey: string; connectionId: string };
  actionName: string;
  input: unknown;
  signal?: AbortSignal;
  /** Receives the run's log lines (script output, then the failure with its file:line), also when it throws. */
  onLog?: (entry: RunLog) => void;
  /**
   * An on-demand slot the caller already holds (reserveOnDemandSlot); the run uses it instead of
   * taking one, and releases it when it ends.
   */
  slot?: () => void;
}

export interface RunnerOptions {
  pool: Pool;
  /** Where nango.*Checkpoint reads and writes (the scheduler's createCheckpointStore). */
  checkpoints: CheckpointStore;
  proxy: OutboundProxy;
  records: RecordStore;
  auth: AuthService;
  limits?: Partial<SandboxLimits>;
  maxBatchRecords?: number;
  /**
   * What a sync does with records that do not match their model, unless the request says
   * otherwise: `warn` stores them and reports each one (Nango never refuses records), `reject`
   * refuses the batch, `off` checks nothing. @default 'warn'
   */
  validation?: ValidationPolicy;

  /** The variables scripts read with nango.getEnvironmentVariables(), per environment. @default none */
  environmentVariables?: (environmentId: number) => Promise<Array<{ name: string; value: string }>>;

  /** Actions (and dryruns) executed at once by this process; more wait in line. @default 4 */
  actionConcurrency?: number;
  /** Actions that may wait for a slot; beyond it they are refused with WEFT_RUNNER_ACTIONS_BUSY. @default 100 */
  actionQueueLimit?: number;
  /** What nango.getWebhookURL() returns for an integration (its public inbound-webhook URL). @default null */
  webhookUrl?: (environmentId: number, providerConfigKey: string) => Promise<string | null>;
  /** Called after each applied deploy with the deployed syncs (the scheduler creates schedules). */
  onDeploy?: (syncs: DeployedSync[]) => Promise<void>;
  /** Isolates this process keeps prepared ahead of runs (isolate-pool.ts); 0 turns it off. @default 2 */
  isolatePoolSize?: number;
}

const MAX_LOGS = 2_000;
const MAX_INVALID_SAMPLES = 100;

const MAX_LOG_CHARS = 10_000;
// The same caps are applied inside the isolate, before a line is copied out (sandbox-guards.ts).
const LOG_GUARDS = { maxLogLines: MAX_LOGS, maxLogChars: MAX_LOG_CHARS };

export type Runner = ReturnType<typeof createRunner>;

/**
 * The run's abort signal. Each in-flight host call (up to the guard's maxPendingCalls) listens on
 * it, so Node's default of 10 listeners would warn about a leak that is not one.
 */
function runSignal(given: AbortSignal | undefined): AbortSignal {
  const signal = given ?? new AbortController().signal;
  setMaxListeners(defaultGuardLimits.maxPendingCalls + 16, signal);
  return signal;
}

/** What every step of the runner works with: its options, the on-demand slots and its tracer. */
interface RunnerContext {
  options: RunnerOptions;
  pool: Pool;
  /** Actions and dryruns executed at once by this process (syncs are capped by the scheduler). */
  onDemand: RunSlots;
  tracer: Tracer;
}

/** A script ready to run: its bundle, source map and definition (deployed or just compiled). */
type RunnableScript = { bundle: string; sourceMap: string; definition: CompiledScript['definition'] };

/** Compile-free execution of deployed scripts: syncs, actions, dryruns; and the deploy entry point. */
export function createRunner(options: RunnerOptions) {
  const runner: RunnerContext = {
    options,
    pool: options.pool,
    onDemand: new RunSlots(options.actionConcurrency ?? 4, options.actionQueueLimit ?? 100),
    tracer: trace.getTracer('weft-runner'),
  };
  // Isolates for this runner's runs are prepared before the first one asks (isolate-pool.ts).
  if (options.isolatePoolSize !== undefined) isolatePool.configure({ size: options.isolatePoolSize });
  isolatePool.warm(resolveShape(options.limits?.memoryMb ?? defaultLimits.memoryMb, LOG_GUARDS));
  const { pool } = options;
  return {
    deploy: (
      environmentId: number,
      providerConfigKey: string,
      scripts: CompiledScript[],
      deployOptions: { force?: boolean; dryRun?: boolean } = {},
    ) => deploy(runner, environmentId, providerConfigKey, scripts, deployOptions),

    rollback: (environmentId: number, providerConfigKey: string) => rollback(pool, environmentId, providerConfigKey),

    listDeployedSyncs: (environmentId: number, providerConfigKey: string): Promise<DeployedSync[]> =>
      listDeployedSyncs(runner, environmentId, providerConfigKey),

    /** Actions and dryruns running and waiting for a slot in this process. */
    onDemandLoad: () => runner.onDemand.load,

    /** An action slot now (pass it as `slot` to runAction), or undefined when all are busy. */
    reserveOnDemandSlot: () => runner.onDemand.tryAcquire(),

    /** Resolves once an action slot is free with nobody waiting for it (reserves nothing). */
    onDemandSlotFree: () => runner.onDemand.whenFree(),

    scriptsConfig: (environmentId: number, providerConfigKey: string) =>
      activeScripts(pool, environmentId, providerConfigKey),

    async runSync(request: SyncRunRequest): Promise<SyncRunResult> {
      const script = await findScript(
        pool,
        request.environmentId,
        request.connection.providerConfigKey,
        'sync',
        request.syncName,
      );
      return executeSync(runner, request, script);
    },

    /**
     * Run a compiled (not deployed) sync against a live connection. Nothing is saved (records are
     * returned instead) unless `save`, which stores them like a scheduled run would.
     */
    dryrunSync: (
      request: SyncRunRequest,
      script: CompiledScript,
      save = false,
    ): Promise<SyncRunResult & { records: Record<string, unknown[]> }> => dryrunSync(runner, request, script, save),

    runAction: (request: ActionRunRequest, compiled?: CompiledScript): Promise<{ output: unknown; logs: RunLog[] }> =>
      runAction(runner, request, compiled),
  };
}

async function deploy(
  runner: RunnerContext,
  environmentId: number,
  providerConfigKey: string,
  scripts: CompiledScript[],
  deployOptions: { force?: boolean; dryRun?: boolean },
) {
  for (const script of scripts) await assertBundleParses(script.name, script.bundle);
  const result = await deployScripts(runner.pool, environmentId, providerConfigKey, scripts, deployOptions);
  if (result.applied) await runner.options.onDeploy?.(result.syncs);
  return result;
}

async function listDeployedSyncs(
  runner: RunnerContext,
  environmentId: number,
  providerConfigKey: string,
): Promise<DeployedSync[]> {
  const scripts = await activeScripts(runner.pool, environmentId, providerConfigKey);
  const integrationId = (await integrationRowId(runner.pool, environmentId, providerConfigKey)) ?? 0;
  return scripts.flatMap((s) => {
    const deployed = deployedSyncOf(environmentId, integrationId, providerConfigKey, s);
    return deployed ? [deployed] : [];
  });
}

async function dryrunSync(
  runner: RunnerContext,
  request: SyncRunRequest,
  script: CompiledScript,
  save: boolean,
): Promise<SyncRunResult & { records: Record<string, unknown[]> }> {
  const records: Record<string, unknown[]> = {};
  const release = await runner.onDemand.acquire();
  try {
    const result = await executeSync(runner, request, script, save ? undefined : records);
    return { ...result, records };
  } finally {
    release();
  }
}

/** The run's log: capped lines, what the isolate dropped, and the failure as the last line. */
function createRunLog(sink?: (entry: RunLog) => void) {
  const logs: RunLog[] = [];
  let dropped = 0;
  return {
    logs,
    onLog(level: string, message: string) {
      if (logs.length >= MAX_LOGS) {
        dropped += 1;
        return;
      }
      const entry = { level, message: message.slice(0, MAX_LOG_CHARS), at: new Date().toISOString() };
      logs.push(entry);
      sink?.(entry);
    },
    /** Lines the isolate dropped over the cap without copying them out. */
    droppedInSandbox(count: number) {
      dropped += count;
    },
    /** The failure as the run's last line, with the script's own file:line when the stack has one. */
    failed(error: unknown) {
      const weft = isWeftError(error) ? error : null;
      const stack = (weft?.details as { stack?: string } | undefined)?.stack;
      const message = `${weft?.code ?? 'WEFT_RUNNER_SCRIPT_FAILED'}: ${(error as Error).message}`;
      const entry = {
        level: 'error',
        message: stack ? `${message}\n${stackFrames(stack)}` : message,
        at: new Date().toISOString(),
      };
      logs.push(entry);
      sink?.(entry);
    },
    finish() {
      if (dropped > 0)
        logs.push({
          level: 'warn',
          message: `${dropped} more log lines were dropped (limit ${MAX_LOGS} per run)`,
          at: new Date().toISOString(),
        });
    },
  };
}

type RunLogger = ReturnType<typeof createRunLog>;

/** One sync run inside its `sync.run` span, with its metrics (not for dryruns) and record counts. */
function executeSync(
  runner: RunnerContext,
  request: SyncRunRequest,
  script: RunnableScript,
  dry?: Record<string, unknown[]>,
): Promise<SyncRunResult> {
  const attributes = {
    'weft.run_id': request.runId ?? '',
    'weft.provider_config_key': request.connection.providerConfigKey,
    'weft.connection_id': request.connection.connectionId,
    'weft.sync': request.syncName,
    'weft.sync_mode': request.webhook ? 'webhook' : request.mode,
    'weft.dry_run': dry !== undefined,
  };
  return runner.tracer.startActiveSpan('sync.run', { attributes }, async (span) => {
    try {
      const result = await executeSyncUntraced(runner, request, script, dry);
      recordSyncOutcome(span, request, result, dry !== undefined);
      return result;
    } finally {
      span.end();
    }
  });
}

function recordSyncOutcome(span: Span, request: SyncRunRequest, result: SyncRunResult, dry: boolean): void {
  const metrics = runMetrics();
  const labels = {
    'weft.provider_config_key': request.connection.providerConfigKey,
    'weft.script': request.syncName,
    'weft.script_kind': 'sync',
  };
  if (!dry) {
    metrics.runs.add(1, { ...labels, 'weft.run_status': result.status });
    metrics.duration.record(result.durationMs, { ...labels, 'weft.run_status': result.status });
  }
  for (const [model, c] of Object.entries(result.counts)) {
    span.setAttribute(`weft.records.${model}.added`, c.added);
    span.setAttribute(`weft.records.${model}.updated`, c.updated);
    span.setAttribute(`weft.records.${model}.deleted`, c.deleted);
    if (dry) continue;
    for (const action of ['added', 'updated', 'deleted'] as const)
      if (c[action] > 0) metrics.records.add(c[action], { ...labels, 'weft.model': model, 'weft.change': action });
  }
  span.setAttribute('weft.run_status', result.status);
  if (result.error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${result.error.code}: ${result.error.message}` });
    span.addEvent('exception', {
      'exception.type': result.error.code,
      'exception.message': result.error.message,
      'exception.stacktrace': result.error.stack ?? '',
    });
  }
}

/** The state of one sync run the steps below share. */
interface SyncRun {
  request: SyncRunRequest;
  definition: CompiledScript['definition'];
  signal: AbortSignal;
  log: RunLogger;
  counts: Record<string, ModelCounts>;
  invalid: InvalidRecordsReport;
  bridge: HostHandler;
  dry: Record<string, unknown[]> | undefined;
  /** Legacy `track_deletes: true` and reset runs: the whole successful run is the snapshot. */
  wholeRunSnapshot: boolean;
  started: number;
}

async function executeSyncUntraced(
  runner: RunnerContext,
  request: SyncRunRequest,
  script: RunnableScript,
  dry?: Record<string, unknown[]>,
): Promise<SyncRunResult> {
  const definition = script.definition;
  const run: SyncRun = {
    request,
    definition,
    signal: runSignal(request.signal),
    log: createRunLog(),
    counts: {},
    invalid: { count: 0, records: [] },
    bridge: undefined as unknown as HostHandler,
    dry,
    wholeRunSnapshot:
      !request.webhook && definition.kind === 'sync' && (definition.trackDeletes || request.mode === 'reset'),
    started: performance.now(),
  };
  run.bridge = syncBridge(runner, run);
  try {
    await beforeSync(runner, run);
    await runInSandbox({
      name: request.syncName,
      kind: request.webhook ? 'webhook' : 'sync',
      ...(request.webhook ? { input: request.webhook.payload ?? null } : {}),
      bundle: script.bundle,
      sourceMap: script.sourceMap,
      env: {
        connectionId: request.connection.connectionId,
        providerConfigKey: request.connection.providerConfigKey,
        ...(request.variant ? { variant: request.variant } : {}),
        lastSyncDate: request.lastSyncDate,
        webhookUrl: await webhookUrlOf(runner, request.environmentId, request.connection.providerConfigKey),
      },
      host: run.bridge,
      onLog: run.log.onLog,
      guards: LOG_GUARDS,
      onLogsDropped: run.log.droppedInSandbox,
      ...(runner.options.limits ? { limits: runner.options.limits } : {}),
      signal: run.signal,
    });
    await afterSync(runner, run);
    run.log.finish();
    return { status: 'success', ...syncOutcome(run) };
  } catch (error) {
    return failedSync(run, error);
  }
}

/** The host bridge of a sync run: its connection, models, validation policy and counters. */
function syncBridge(runner: RunnerContext, run: SyncRun): HostHandler {
  const { options } = runner;
  const { request, definition, dry } = run;
  return createHostBridge({
    pool: runner.pool,
    checkpoints: options.checkpoints,
    proxy: options.proxy,
    records: options.records,
    auth: options.auth,
    runId: request.runId ?? randomUUID(),
    connection: { ...request.connection, environmentId: request.environmentId },
    ...environmentVariablesOf(options, request.environmentId),
    scriptName: request.syncName,
    variant: request.variant ?? 'base',
    definition,
    validation:
      request.validation ??
      (definition.kind === 'sync' ? definition.validation : undefined) ??
      options.validation ??
      'warn',
    onInvalidRecord: (problem) => {
      run.invalid.count += 1;
      if (run.invalid.records.length < MAX_INVALID_SAMPLES) run.invalid.records.push(problem);
    },
    maxBatchRecords: options.maxBatchRecords ?? 10_000,
    counts: run.counts,
    onLog: run.log.onLog,
    signal: run.signal,
    traceContext: context.active(),
    ...(dry ? { dryRun: true, dryRecords: dry } : {}),
    // Scheduled runs count their committed changes with the records (crash-exact webhooks).
    ...(request.runId !== undefined && !dry ? { countedRunId: request.runId } : {}),
    ...(request.stub ? { stub: { ...request.stub } } : {}),
  });
}

function environmentVariablesOf(options: RunnerOptions, environmentId: number) {
  return options.environmentVariables
    ? { environmentVariables: () => options.environmentVariables?.(environmentId) ?? Promise.resolve([]) }
    : {};
}

/** The integration's inbound webhook URL for nango.getWebhookURL(); null when unknown or failing. */
function webhookUrlOf(runner: RunnerContext, environmentId: number, providerConfigKey: string): Promise<string | null> {
  const resolve = runner.options.webhookUrl;
  return resolve ? resolve(environmentId, providerConfigKey).catch(() => null) : Promise.resolve(null);
}

function modelScope(request: SyncRunRequest, model: string) {
  return { environmentId: request.environmentId, connectionRowId: request.connection.id, model };
}

/** A full or reset run starts without checkpoint; a whole-run snapshot opens for each model. */
async function beforeSync(runner: RunnerContext, run: SyncRun): Promise<void> {
  const { request, definition, dry } = run;
  const fresh = (request.attempt ?? 1) <= 1;
  if (request.mode !== 'incremental' && fresh && !dry && !request.webhook) await run.bridge('clearCheckpoint', []);
  if (!run.wholeRunSnapshot || definition.kind !== 'sync') return;
  // A retry continues the snapshot its first attempt opened (restarting it would forget what was
  // saved before the checkpoint it resumes from, and delete it).
  for (const model of Object.keys(definition.models)) {
    const open = !fresh && !dry ? await runner.options.records.openSnapshot(modelScope(request, model)) : null;
    if (open === null) await run.bridge('trackDeletesStart', [model]);
  }
}

/** A successful whole-run snapshot tombstones what the run did not save. */
async function afterSync(runner: RunnerContext, run: SyncRun): Promise<void> {
  const { request, definition, dry } = run;
  if (!run.wholeRunSnapshot || definition.kind !== 'sync') return;
  for (const model of Object.keys(definition.models)) {
    // A script may have bounded the model's snapshot itself (trackDeletesStart/End): its End
    // already tombstoned the unseen records.
    if (!dry && (await runner.options.records.openSnapshot(modelScope(request, model))) === null) continue;
    await run.bridge('trackDeletesEnd', [model]);
  }
}

function syncOutcome(run: SyncRun) {
  return {
    counts: run.counts,
    ...(run.invalid.count > 0 ? { invalidRecords: run.invalid } : {}),
    logs: run.log.logs,
    durationMs: performance.now() - run.started,
  };
}

function failedSync(run: SyncRun, error: unknown): SyncRunResult {
  run.log.finish();
  run.log.failed(error);
  const weft = isWeftError(error) ? error : null;
  const code = weft?.code ?? 'WEFT_RUNNER_SCRIPT_FAILED';
  const stack = (weft?.details as { stack?: string } | undefined)?.stack;
  return {
    status: code === 'WEFT_RUNNER_CANCELLED' ? 'cancelled' : 'failed',
    ...syncOutcome(run),
    error: {
      code,
      message: (error as Error).message,
      ...(stack ? { stack } : {}),
      // The catalogue of the package that raised it says whether another attempt may help.
      retryable: isRetryable(code),
    },
  };
}

/** One action inside its `action.run` span, in an on-demand slot, with its metrics (deployed ones only). */
function runAction(
  runner: RunnerContext,
  request: ActionRunRequest,
  compiled?: CompiledScript,
): Promise<{ output: unknown; logs: RunLog[] }> {
  const attributes = {
    'weft.provider_config_key': request.connection.providerConfigKey,
    'weft.connection_id': request.connection.connectionId,
    'weft.action': request.actionName,
  };
  return runner.tracer.startActiveSpan('action.run', { attributes }, async (span) => {
    const started = performance.now();
    let status = 'success';
    let release: (() => void) | undefined;
    try {
      release = request.slot ?? (await runner.onDemand.acquire());
      return await runActionUntraced(runner, request, compiled);
    } catch (error) {
      status = 'failed';
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      release?.();
      span.end();
      if (!compiled) {
        const labels = {
          'weft.provider_config_key': request.connection.providerConfigKey,
          'weft.script': request.actionName,
          'weft.script_kind': 'action',
          'weft.run_status': status,
        };
        runMetrics().runs.add(1, labels);
        runMetrics().duration.record(performance.now() - started, labels);
      }
    }
  });
}

async function runActionUntraced(
  runner: RunnerContext,
  request: ActionRunRequest,
  compiled?: CompiledScript,
): Promise<{ output: unknown; logs: RunLog[] }> {
  const { options } = runner;
  const script =
    compiled ??
    (await findScript(
      runner.pool,
      request.environmentId,
      request.connection.providerConfigKey,
      'action',
      request.actionName,
    ));
  const log = createRunLog(request.onLog);
  const signal = runSignal(request.signal);
  const bridge = createHostBridge({
    pool: runner.pool,
    checkpoints: options.checkpoints,
    proxy: options.proxy,
    records: options.records,
    auth: options.auth,
    runId: randomUUID(),
    connection: { ...request.connection, environmentId: request.environmentId },
    ...environmentVariablesOf(options, request.environmentId),
    scriptName: request.actionName,
    variant: 'base',
    definition: script.definition,
    validation: 'reject',
    maxBatchRecords: options.maxBatchRecords ?? 10_000,
    counts: {},
    onLog: log.onLog,
    signal,
    traceContext: context.active(),
  });
  const result = await runInSandbox({
    name: request.actionName,
    kind: 'action',
    bundle: script.bundle,
    sourceMap: script.sourceMap,
    input: request.input,
    env: {
      connectionId: request.connection.connectionId,
      providerConfigKey: request.connection.providerConfigKey,
      lastSyncDate: null,
      webhookUrl: await webhookUrlOf(runner, request.environmentId, request.connection.providerConfigKey),
    },
    host: bridge,
    onLog: log.onLog,
    guards: LOG_GUARDS,
    onLogsDropped: log.droppedInSandbox,
    ...(options.limits ? { limits: options.limits } : {}),
    signal,
  }).catch((error: unknown) => {
    log.finish();
    log.failed(error);
    throw error;
  });
  log.finish();
  return { output: result.output, logs: log.logs };
}

/** The script's `at …` frames of a (source-mapped) stack, at most eight; our prelude's frames are noise to its author. */
function stackFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s*at /.test(line) && !line.includes('weft-prelude.js'))
    .slice(0, 8)
    .join('\n');
}
