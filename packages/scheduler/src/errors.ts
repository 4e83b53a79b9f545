import { defineErrors } from '@weft/core';

export const schedulerErrors = defineErrors('scheduler', {
  WEFT_SCHEDULER_SYNC_NOT_FOUND: {
    status: 404,
    message: 'No sync {syncs} scheduled for {providerConfigKey}{connection}',
    fix: 'Check the sync names (GET /scripts/config) and the connection id; syncs get schedules once deployed.',
  },
  WEFT_SCHEDULER_SYNC_PAUSED: {
    status: 409,
    message: 'Sync {syncName} of connection {connectionId} is paused',
    fix: 'Resume it with POST /sync/start (or `weft sync start`) before triggering it.',
  },
  WEFT_SCHEDULER_INVALID_FREQUENCY: {
    status: 400,
    message: 'Invalid frequency: {reason}',
    fix: 'Use e.g. "every hour", "every 5 minutes", "every day" (at least 30 seconds), or null to restore the default.',
  },
  WEFT_WEBHOOK_UNKNOWN_TARGET: {
    status: 404,
    message: 'No integration {integration} in environment {environment} to receive webhooks',
    fix: 'The provider was given a wrong URL: use the one a script gets from nango.getWebhookURL() (<public URL>/webhook/<environment>/<integration key>).',
  },
  WEFT_WEBHOOK_INVALID_PAYLOAD: {
    status: 400,
    message: 'The webhook body is not what this provider sends: {reason}',
    fix: "Send the provider's notification unchanged (JSON); a routing rule in providers.yaml (webhook_routing) says what Weft expects.",
  },
  WEFT_WEBHOOK_PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'The webhook body is larger than {limit} bytes',
    fix: 'Providers send notifications far smaller than this; raise WEFT_WEBHOOK_BODY_LIMIT_BYTES if one really needs more.',
  },
  WEFT_WEBHOOK_RATE_LIMITED: {
    status: 429,
    message: 'Too many webhooks for {integration}: at most {limit} per second',
    fix: 'The provider retries after Retry-After; raise WEFT_WEBHOOK_RATE_LIMIT if it legitimately sends more.',
  },
  WEFT_WEBHOOK_REFUSED: {
    status: 401,
    message: 'Webhook notification {id} refused: {reason}',
    fix: 'The notification failed verification (a forged or stale clientState or signature): it is recorded as refused in the inbox (provider_webhooks.outcome) and logged; nothing runs and nothing is forwarded.',
  },
});
