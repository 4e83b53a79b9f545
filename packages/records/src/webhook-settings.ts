import { randomBytes } from 'node:crypto';
import type { SecretBox } from '@weft/core';
import type { Pool, PoolClient } from '@weft/db';

export interface WebhookSettings {
  primaryUrl: string | null;
  secondaryUrl: string | null;
  /** Send a sync event even when a run changed nothing. @default false */
  sendEmptySyncEvents: boolean;
  /** Current signing secret (shown to the developer so receivers can verify). */
  secret: string;
  /** Previous secret, still used to co-sign until `previousSecretExpiresAt`. */
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
}

interface Row {
  primary_url: string | null;
  secondary_url: string | null;
  send_empty_sync_events: boolean;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: string | null;
  previous_valid: boolean;
}

const SELECT = `
SELECT primary_url, secondary_url, send_empty_sync_events, secret_enc, previous_secret_enc,
       previous_secret_expires_at, coalesce(previous_secret_expires_at > now(), false) AS previous_valid
FROM webhook_settings WHERE environment_id = $1`;

const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

function fromRow(row: Row, box: SecretBox): WebhookSettings {
  const previous = row.previous_valid && row.previous_secret_enc !== null;
  return {
    primaryUrl: row.primary_url,
    secondaryUrl: row.secondary_url,
    sendEmptySyncEvents: row.send_empty_sync_events,
    secret: box.open(row.secret_enc),
    previousSecret: previous && row.previous_secret_enc !== null ? box.open(row.previous_secret_enc) : null,
    previousSecretExpiresAt: previous ? row.previous_secret_expires_at : null,
  };
}

/** The environment's webhook settings; the first read creates them with a fresh secret. */
export async function getWebhookSettings(
  db: Pool | PoolClient,
  box: SecretBox,
  environmentId: number,
): Promise<WebhookSettings> {
  await db.query(
    'INSERT INTO webhook_settings (environment_id, secret_enc) VALUES ($1, $2) ON CONFLICT (environment_id) DO NOTHING',
    [environmentId, box.seal(newSecret())],
  );
  const { rows } = await db.query<Row>(SELECT, [environmentId]);
  const row = rows[0];
  if (row === undefined) throw new Error(`webhook settings of environment ${environmentId} vanished`);
  return fromRow(row, box);
}

export async function updateWebhookSettings(
  pool: Pool,
  box: SecretBox,
  environmentId: number,
  patch: { primaryUrl?: string | null; secondaryUrl?: string | null; sendEmptySyncEvents?: boolean },
): Promise<WebhookSettings> {
  await getWebhookSettings(pool, box, environmentId);
  await pool.query(
    `UPDATE webhook_settings SET
       primary_url = CASE WHEN $2 THEN $3 ELSE primary_url END,
       secondary_url = CASE WHEN $4 THEN $5 ELSE secondary_url END,
       send_empty_sync_events = coalesce($6, send_empty_sync_events),
       updated_at = now()
     WHERE environment_id = $1`,
    [
      environmentId,
      patch.primaryUrl !== undefined,
      patch.primaryUrl ?? null,
      patch.secondaryUrl !== undefined,
      patch.secondaryUrl ?? null,
      patch.sendEmptySyncEvents ?? null,
    ],
  );
  return getWebhookSettings(pool, box, environmentId);
}

/**
 * New signing secret. The old one keeps co-signing deliveries for `graceSeconds` (default one
 * day) so receivers can switch without dropping events.
 */
export async function rotateWebhookSecret(
  pool: Pool,
  box: SecretBox,
  environmentId: number,
  graceSeconds = 86_400,
): Promise<WebhookSettings> {
  await getWebhookSettings(pool, box, environmentId);
  await pool.query(
    `UPDATE webhook_settings SET previous_secret_enc = secret_enc, secret_enc = $2,
       previous_secret_expires_at = now() + make_interval(secs => $3), updated_at = now()
     WHERE environment_id = $1`,
    [environmentId, box.seal(newSecret()), graceSeconds],
  );
  return getWebhookSettings(pool, box, environmentId);
}
