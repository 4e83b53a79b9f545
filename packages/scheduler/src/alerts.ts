import { connectionKeys, connectionsNeedingReauth, expiringClientSecrets } from '@weft/auth';
import { outboundDispatcher } from '@weft/core';
import { connectionRowId, type Pool } from '@weft/db';
import { exhaustedDeliveries } from '@weft/records';
import { request } from 'undici';
import { FAILED_SYNCS, FORGET_UNNOTIFIED, MARK_NOTIFIED, OPEN_INCIDENT, RESOLVE_INCIDENTS } from './sql/alerts.js';

export interface AlerterOptions {
  pool: Pool;
  /** Slack-compatible incoming webhook URL (`{ "text": … }`). */
  webhookUrl: string;
  /** Base URL for links in messages. */
  publicUrl: string;
  /**
   * The path of the page showing an incident (the server's routes: `alertLinks` of @weft/server).
   * @default none: messages link to publicUrl
   */
  links?: (subject: AlertSubject) => string | null;
  /** Days before client_secret_expires_at to warn. @default 30 */
  secretExpiryDays?: number;
  onError?: (error: unknown) => void;
}

/** What an incident is about: the alerter asks `links` for the page that shows it. */
export type AlertSubject =
  | { kind: 'sync_failed'; providerConfigKey: string; syncName: string; connectionId: string }
  | { kind: 'needs_reauth'; providerConfigKey: string; connectionId: string }
  | { kind: 'webhook_exhausted'; eventId: string }
  | { kind: 'secret_expiry'; integration: string };

interface Incident {
  key: string;
  environmentId: number;
  kind: AlertSubject['kind'];
  summary: string;
  subject: AlertSubject;
}

/**
 * Each owner lists the problems of its own tables that exist right now, with a stable key per
 * incident: the scheduler failed syncs, auth connections to re-authorize and expiring secrets,
 * records exhausted webhook deliveries.
 */
async function detect(pool: Pool, secretExpiryDays: number): Promise<Incident[]> {
  const [failed, reauth, exhausted, expiring] = await Promise.all([
    pool.query<{
      id: number;
      environment_id: number;
      connection_id: string | number;
      provider_config_key: string;
      sync_name: string;
      status: string;
      message: string | null;
    }>(FAILED_SYNCS),
    connectionsNeedingReauth(pool),
    exhaustedDeliveries(pool),
    expiringClientSecrets(pool, secretExpiryDays),
  ]);
  const rowIds = [...new Set(failed.rows.map((r) => connectionRowId(r.connection_id)))];
  const names = new Map(
    (rowIds.length === 0 ? [] : await connectionKeys(pool, null, { rowIds })).map((c) => [c.rowId, c.connectionId]),
  );
  return [
    ...failed.rows.flatMap((r): Incident[] => {
      const connectionId = names.get(connectionRowId(r.connection_id));
      if (connectionId === undefined) return []; // deleted meanwhile
      return [
        {
          key: `sync_failed:${r.id}`,
          environmentId: r.environment_id,
          kind: 'sync_failed',
          summary: `Sync ${r.sync_name} of connection ${connectionId} (${r.provider_config_key}) failed: ${r.message ?? r.status}`,
          subject: {
            kind: 'sync_failed',
            providerConfigKey: r.provider_config_key,
            syncName: r.sync_name,
            connectionId,
          },
        },
      ];
    }),
    ...reauth.map(
      (c): Incident => ({
        key: `needs_reauth:${c.rowId}`,
        environmentId: c.environmentId,
        kind: 'needs_reauth',
        summary: `Connection ${c.connectionId} (${c.providerConfigKey}) must be re-authorized: ${c.lastRefreshError ?? 'refresh refused'}`,
        subject: { kind: 'needs_reauth', providerConfigKey: c.providerConfigKey, connectionId: c.connectionId },
      }),
    ),
    ...exhausted.map(
      (d): Incident => ({
        key: `webhook_exhausted:${d.id}`,
        environmentId: d.environmentId,
        kind: 'webhook_exhausted',
        summary: `Webhook delivery ${d.id} to ${d.url} gave up after ${d.attempts} attempts: ${d.lastError ?? ''}`,
        subject: { kind: 'webhook_exhausted', eventId: d.eventId },
      }),
    ),
    ...expiring.map(
      (i): Incident => ({
        key: `secret_expiry:${i.integrationRowId}:${i.expiresAt}`,
        environmentId: i.environmentId,
        kind: 'secret_expiry',
        summary: `The client secret of integration ${i.uniqueKey} expires on ${i.expiresAt.slice(0, 10)}`,
        subject: { kind: 'secret_expiry', integration: i.uniqueKey },
      }),
    ),
  ];
}

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
      const current = await detect(pool, options.secretExpiryDays ?? 30);
      await pool.query(RESOLVE_INCIDENTS, [current.map((i) => i.key)]);
      let sent = 0;
      for (const incident of current) {
        const path = options.links?.(incident.subject) ?? null;
        const { rows } = await pool.query<{ key: string }>(OPEN_INCIDENT, [
          incident.key,
          incident.environmentId,
          incident.kind,
          incident.summary,
          path,
        ]);
        if (rows.length === 0) continue; // already open and notified
        const link = path ? `${options.publicUrl}${path}` : options.publicUrl;
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
          await pool.query(MARK_NOTIFIED, [incident.key]);
          sent += 1;
        } catch (error) {
          // Not notified: forget the opening so the next scan tries again.
          await pool.query(FORGET_UNNOTIFIED, [incident.key]);
          options.onError?.(error);
        }
      }
      return sent;
    },
  };
}
