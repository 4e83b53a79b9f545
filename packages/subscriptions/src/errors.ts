import { defineErrors } from '@weft/core';

export const subscriptionErrors = defineErrors('subscriptions', {
  WEFT_SUBSCRIPTIONS_CREATE_FAILED: {
    status: 502,
    retryable: true,
    message: 'Microsoft Graph did not create the subscription to {resource} for connection {connectionId}: {reason}',
    fix: "Check the app registration's delegated permissions for the resource and that WEFT_PUBLIC_URL is an https URL Graph can reach (it validates it with a handshake); Weft retries with the renewal job.",
  },
  WEFT_SUBSCRIPTIONS_INVALID_NOTIFICATION: {
    status: 400,
    retryable: false,
    message: 'Not a Microsoft Graph notification: {reason}',
    fix: 'Graph posts `{ "value": [ … ] }` with a subscriptionId and clientState per item; anything else is refused.',
  },
  WEFT_SUBSCRIPTIONS_UNKNOWN_SUBSCRIPTION: {
    status: 404,
    retryable: false,
    message: 'Notification for subscription {subscriptionId}, which Weft does not know for {providerConfigKey}',
    fix: 'Usually a subscription of a deleted connection that has not expired yet at Graph; it is ignored (and logged) and expires by itself.',
  },
  WEFT_SUBSCRIPTIONS_CLIENT_STATE_MISMATCH: {
    status: 401,
    retryable: false,
    message: 'Notification for subscription {subscriptionId} carries the wrong clientState',
    fix: 'Someone other than Microsoft Graph posted it (or it was altered); it is refused and logged, never processed.',
  },
});
