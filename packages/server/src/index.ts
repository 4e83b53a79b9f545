export { type BuildServerOptions, buildServer } from './app.js';
export type { ServerContext } from './context.js';
export { serverErrors } from './errors.js';
export { listen } from './listen.js';
export { redactUrl } from './logger.js';
export { type OperationLogPruned, pruneOperationLog } from './prune-operation-log.js';
export { type RouteEntry, registeredRoutes } from './route-list.js';
export { parseRequest } from './validate.js';
