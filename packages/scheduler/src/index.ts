export { type AlerterOptions, createAlerter } from './alerts.js';
export { schedulerErrors } from './errors.js';
export { pruneRunRollups } from './run-rollups.js';
export { type RunBucket, type RunStats, type RunStatsOptions, runStats, type StatsWindow } from './run-stats.js';
export { createScheduler, type Scheduler, type SchedulerOptions, type SyncSelector } from './scheduler.js';
