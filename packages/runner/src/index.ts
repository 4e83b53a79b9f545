export type { CheckpointKey, CheckpointStore } from './checkpoint-store.js';
export { COMMONJS_MODULES, type WrappedCommonJs, wrapCommonJsBundle } from './commonjs-bundle.js';
export {
  type CompiledScript,
  type CompileOptions,
  type CompileProblem,
  compileIntegration,
  listScripts,
} from './compile.js';
export { scriptDefinitionSchema } from './definition-schema.js';
export type { DeployDiff, DeployedScript, DeployedSync, DeployResult } from './deploy-store.js';
export { type DeploymentSummary, listDeployments } from './deployments.js';
export {
  type ActionScriptDefinition,
  ON_EVENT_NAMES,
  type OnEventName,
  type OnEventScriptDefinition,
  type ScriptDefinition,
  type ScriptKind,
  type SyncScriptDefinition,
} from './describe-script.js';
export { runnerErrors } from './errors.js';
export { type BridgeContext, createHostBridge, type InvalidRecord, type ModelCounts } from './host-bridge.js';
export { type IsolatePoolOptions, isolatePool } from './isolate-pool.js';
export {
  type CliOnEventScript,
  compileNangoCliDeployment,
  type NangoCliDeployment,
  type NangoCliFlow,
  type NangoCliIntegrationScripts,
  type NangoCliOnEventScript,
} from './nango-cli-deploy.js';
export {
  type ConnectionEventHooks,
  connectionEventHooks,
  type OnEventDeps,
  type OnEventRunRequest,
  type OnEventRunResult,
  runOnEventScripts,
} from './on-event.js';
export { listOnEventRunOperations, pruneOnEventRunsSlice } from './on-event-log.js';
export { parseFrequency } from './parse-frequency.js';
export { RunSlots } from './run-slots.js';
export {
  type ActionRunRequest,
  createRunner,
  type InvalidRecordsReport,
  type RunLog,
  type Runner,
  type RunnerOptions,
  type SyncRunMode,
  type SyncRunRequest,
  type SyncRunResult,
} from './runner.js';
export {
  defaultLimits,
  type HostHandler,
  runInSandbox,
  type SandboxLimits,
  type SandboxRunOptions,
} from './sandbox.js';
export { SANDBOX_PRELUDE } from './sandbox-prelude.js';
export { sandboxZodSource } from './sandbox-zod.js';
