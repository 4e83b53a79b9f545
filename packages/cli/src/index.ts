export { resolveEncryptionKey } from './encryption-key.js';
export { type RunningWeft, type StartOptions, startWeft } from './start.js';
export { startTelemetry } from './telemetry.js';
export { startWorker } from './worker.js';
