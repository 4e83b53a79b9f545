import type { AlertSubject } from '@weft/scheduler';

const q = encodeURIComponent;

/**
 * The API page that shows an alert's incident, for the alerter's messages: the server owns its
 * routes, so the scheduler's alerts ask here instead of spelling URLs themselves.
 */
export function alertLinks(subject: AlertSubject): string {
  switch (subject.kind) {
    case 'sync_failed':
      return `/sync/runs?provider_config_key=${q(subject.providerConfigKey)}&sync_name=${q(subject.syncName)}&connection_id=${q(subject.connectionId)}`;
    case 'needs_reauth':
      return `/connections/${q(subject.connectionId)}/status?provider_config_key=${q(subject.providerConfigKey)}`;
    case 'webhook_exhausted':
      return `/webhooks/deliveries?event_id=${q(subject.eventId)}`;
    case 'secret_expiry':
      return `/integrations/${q(subject.integration)}/status`;
  }
}
