export { type BuildServerOptions, buildServer } from './app.js';
export type { ServerContext } from './context.js';
export type { IntegrationJson } from './contract/integrations.js';
export { serverErrors } from './errors.js';
export { listen } from './listen.js';
export { redactUrl } from './logger.js';
export { type OperationLogPruned, pruneOperationLog } from './prune-operation-log.js';
export { parseRequest } from './validate.js';
