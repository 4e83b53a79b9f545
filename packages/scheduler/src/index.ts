export { type AlerterOptions, createAlerter } from './alerts.js';
export { schedulerErrors } from './errors.js';
export { createScheduler, type Scheduler, type SchedulerOptions, type SyncSelector } from './scheduler.js';
