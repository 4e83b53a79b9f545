import { outboundDispatcher } from '@weft/core';
import type { Pool } from '@weft/db';
import { request } from 'undici';

export interface AlerterOptions {
  pool: Pool;
  /** Slack-compatible incoming webhook URL (`{ "text": … }`). */
  webhookUrl: string;
  /** Base URL for links in messages. */
  publicUrl: string;
  /** Days before client_secret_expires_at to warn. @default 30 */
  secretExpiryDays?: number;
  onError?: (error: unknown) => void;
}

interface Incident {
  key: string;
  environment_id: number;
  kind: string;
  summary: string;
  link: string | null;
}

// Each query lists the problems that exist right now, with a stable key per incident.
const DETECT = `
SELECT 'sync_failed:' || sc.id AS key, sc.environment_id, 'sync_failed' AS kind,
       'Sync ' || sc.sync_name || ' of connection ' || c.connection_id || ' (' || sc.provider_config_key || ') failed: ' || coalesce(r.error->>'message', r.status) AS summary,
       '/sync/runs?provider_config_key=' || sc.provider_config_key || '&sync_name=' || sc.sync_name || '&connection_id=' || c.connection_id AS link
FROM schedules sc JOIN connections c ON c.id = sc.connection_id
JOIN LATERAL (SELECT * FROM sync_runs r WHERE r.schedule_id = sc.id ORDER BY r.created_at DESC LIMIT 1) r ON true
WHERE r.status IN ('failed', 'interrupted')
UNION ALL
SELECT 'needs_reauth:' || c.id, c.environment_id, 'needs_reauth',
       'Connection ' || c.connection_id || ' (' || c.provider_config_key || ') must be re-authorized: ' || coalesce(c.last_refresh_error, 'refresh refused'),
       '/connections/' || c.connection_id || '/status?provider_config_key=' || c.provider_config_key
FROM connections c WHERE c.auth_state = 'needs_reauth'
UNION ALL
SELECT 'webhook_exhausted:' || d.id, d.environment_id, 'webhook_exhausted',
       'Webhook delivery ' || d.id || ' to ' || d.url || ' gave up after ' || d.attempts || ' attempts: ' || coalesce(d.last_error, ''),
       '/webhooks/deliveries?event_id=' || d.event_id
FROM webhook_deliveries d WHERE d.state = 'exhausted'
UNION ALL
SELECT 'secret_expiry:' || i.id || ':' || i.client_secret_expires_at, i.environment_id, 'secret_expiry',
       'The client secret of integration ' || i.unique_key || ' expires on ' || to_char(i.client_secret_expires_at, 'YYYY-MM-DD'),
       '/integrations/' || i.unique_key || '/status'
FROM integrations i WHERE i.client_secret_expires_at IS NOT NULL AND i.client_secret_expires_at < now() + make_interval(days => $1)`;

/**
 * Turns problems into one chat message per incident (not per retry or per scan): sync failures,
 * connections that need re-authorization, exhausted webhook deliveries and client secrets close
 * to expiry. Incidents close by themselves when the condition clears. Messages never contain
 * credentials — only names, ids and the error message.
 */
export function createAlerter(options: AlerterOptions) {
  const { pool } = options;
  return {
    async runOnce(): Promise<number> {
      const { rows: current } = await pool.query<Incident>(DETECT, [options.secretExpiryDays ?? 30]);
      const keys = current.map((i) => i.key);
      await pool.query(
        'UPDATE alert_incidents SET resolved_at = now() WHERE resolved_at IS NULL AND NOT (key = ANY($1::text[]))',
        [keys],
      );
      let sent = 0;
      for (const incident of current) {
        const { rows } = await pool.query<{ key: string }>(
          `INSERT INTO alert_incidents (key, environment_id, kind, summary, link) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (key) DO UPDATE SET resolved_at = NULL, opened_at = now(), notified_at = NULL, summary = EXCLUDED.summary
             WHERE alert_incidents.resolved_at IS NOT NULL
           RETURNING key`,
          [incident.key, incident.environment_id, incident.kind, incident.summary, incident.link],
        );
        if (rows.length === 0) continue; // already open and notified
        const link = incident.link ? `${options.publicUrl}${incident.link}` : options.publicUrl;
        try {
          const response = await request(options.webhookUrl, {
            dispatcher: outboundDispatcher(),
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              text: `:rotating_light: ${incident.summary}\n<${link}|Details>`,
              weft: { kind: incident.kind, key: incident.key, link },
            }),
          });
          await response.body.dump();
          if (response.statusCode >= 300) throw new Error(`alert webhook answered ${response.statusCode}`);
          await pool.query('UPDATE alert_incidents SET notified_at = now() WHERE key = $1', [incident.key]);
          sent += 1;
        } catch (error) {
          // Not notified: forget the opening so the next scan tries again.
          await pool.query('DELETE FROM alert_incidents WHERE key = $1 AND notified_at IS NULL', [incident.key]);
          options.onError?.(error);
        }
      }
      return sent;
    },
  };
}
