export { resolveEncryptionKey } from './encryption-key.js';
export { type ServiceTimings, type WiredServices, wireServices } from './services.js';
export { type RunningWeft, type StartOptions, startWeft } from './start.js';
export { startTelemetry } from './telemetry.js';
export { startWorker } from './worker.js';
