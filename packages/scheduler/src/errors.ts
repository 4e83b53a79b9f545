import { defineErrors } from '@weft/core';

export const schedulerErrors = defineErrors('scheduler', {
  WEFT_SCHEDULER_SYNC_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No sync {syncs} scheduled for {providerConfigKey}{connection}',
    fix: 'Check the sync names (GET /scripts/config) and the connection id; syncs get schedules once deployed.',
  },
  WEFT_SCHEDULER_SYNC_PAUSED: {
    status: 409,
    retryable: false,
    message: 'Sync {syncName} of connection {connectionId} is paused',
    fix: 'Resume it with POST /sync/start (or `weft sync start`) before triggering it.',
  },
  WEFT_SCHEDULER_INVALID_FREQUENCY: {
    status: 400,
    retryable: false,
    message: 'Invalid frequency: {reason}',
    fix: 'Use e.g. "every hour", "every 5 minutes", "every day" (at least 30 seconds), or null to restore the default.',
  },
});
