export { copyText } from './copy-text.js';
export {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  freePort,
  startEmbeddedPostgres,
} from './embedded-postgres.js';
export {
  type EnvironmentVariable,
  listEnvironmentVariables,
  replaceEnvironmentVariables,
} from './environment-variables.js';
export {
  type Environment,
  ensureEnvironment,
  environmentName,
  findEnvironmentByName,
  findEnvironmentBySecretKey,
  generateSecretKey,
  hashSecretKey,
  revealSecretKey,
  rotateSecretKey,
} from './environments.js';
export { dbErrors } from './errors.js';
export { currentMigrationVersion, type MigrationResult, migrate, migrationsDir } from './migrate.js';
export { type Database, isReachable, type OpenDatabaseOptions, openDatabase } from './open-database.js';
export { createPool, type Pool, type PoolClient, type PoolOptions } from './pool.js';
export { advisoryLockKey, withAdvisoryLock, withTransaction } from './transactions.js';
