/**
 * Every statement on `graph_subscriptions` (owned by this package), as named builders returning
 * `{ text, values }`.
 */

export interface Query {
  text: string;
  values: unknown[];
}

export interface GraphSubscriptionRow {
  id: string;
  environment_id: number;
  connection_id: string;
  provider_config_key: string;
  external_connection_id: string;
  sync_name: string;
  resource: string;
  change_type: string;
  subscription_id: string | null;
  client_state_hash: Buffer | null;
  expires_at: string | null;
  renew_after: string;
  state: 'pending' | 'active' | 'failed';
  last_error: string | null;
  renewals: number;
}

const COLUMNS = `id::text AS id, environment_id, connection_id::text AS connection_id, provider_config_key,
  external_connection_id, sync_name, resource, change_type,
  subscription_id, client_state_hash, expires_at::text AS expires_at, renew_after::text AS renew_after, state,
  last_error, renewals`;

/** Make sure a row exists for (connection, sync, resource); an existing one is returned unchanged. */
export const upsertWanted = (input: {
  environmentId: number;
  connectionRowId: number;
  providerConfigKey: string;
  connectionId: string;
  syncName: string;
  resource: string;
  changeType: string;
}): Query => ({
  text: `WITH inserted AS (
    INSERT INTO graph_subscriptions (environment_id, connection_id, sync_name, resource, change_type,
      provider_config_key, external_connection_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (connection_id, sync_name, resource) DO NOTHING
    RETURNING ${COLUMNS})
  SELECT * FROM inserted
  UNION ALL
  SELECT ${COLUMNS} FROM graph_subscriptions WHERE connection_id = $2 AND sync_name = $3 AND resource = $4`,
  values: [
    input.environmentId,
    input.connectionRowId,
    input.syncName,
    input.resource,
    input.changeType,
    input.providerConfigKey,
    input.connectionId,
  ],
});

/** Lock one row for a lifecycle step (creation, renewal); another worker busy with it is skipped. */
export const lockRow = (id: string): Query => ({
  text: `SELECT ${COLUMNS} FROM graph_subscriptions WHERE id = $1 FOR UPDATE SKIP LOCKED`,
  values: [id],
});

export const markActive = (input: {
  id: string;
  subscriptionId: string;
  clientStateHash: Buffer | null;
  expiresAt: string;
  renewAfterSeconds: number;
  renewed: boolean;
}): Query => ({
  text: `UPDATE graph_subscriptions SET subscription_id = $2, client_state_hash = coalesce($3, client_state_hash),
    expires_at = $4::timestamptz, renew_after = now() + make_interval(secs => $5), state = 'active', last_error = NULL,
    renewals = renewals + $6::int, updated_at = now()
  WHERE id = $1`,
  values: [
    input.id,
    input.subscriptionId,
    input.clientStateHash,
    input.expiresAt,
    input.renewAfterSeconds,
    input.renewed ? 1 : 0,
  ],
});

/** A failed step: retried by the renewal job after `retrySeconds`. */
export const markFailed = (id: string, error: string, retrySeconds: number): Query => ({
  text: `UPDATE graph_subscriptions SET state = CASE WHEN subscription_id IS NULL THEN 'failed' ELSE state END,
    last_error = $2, renew_after = now() + make_interval(secs => $3), updated_at = now() WHERE id = $1`,
  values: [id, error.slice(0, 1000), retrySeconds],
});

/** Graph no longer has it (removed, expired): recreate it with a fresh clientState. */
export const markGone = (id: string): Query => ({
  text: `UPDATE graph_subscriptions SET subscription_id = NULL, client_state_hash = NULL, expires_at = NULL,
    state = 'pending', renew_after = now(), updated_at = now() WHERE id = $1`,
  values: [id],
});

/** Rows whose renewal (or creation, or retry) is due, oldest first. */
export const due = (limit: number, withinSeconds: number): Query => ({
  text: `SELECT ${COLUMNS} FROM graph_subscriptions
  WHERE renew_after <= now() + make_interval(secs => $2) ORDER BY renew_after LIMIT $1`,
  values: [limit, withinSeconds],
});

export const bySubscriptionId = (subscriptionId: string): Query => ({
  text: `SELECT ${COLUMNS} FROM graph_subscriptions WHERE subscription_id = $1`,
  values: [subscriptionId],
});

export const ofConnection = (connectionRowId: number): Query => ({
  text: `SELECT ${COLUMNS} FROM graph_subscriptions WHERE connection_id = $1 ORDER BY id`,
  values: [connectionRowId],
});

export const ofIntegration = (environmentId: number, connectionRowIds: number[]): Query => ({
  text: `SELECT ${COLUMNS} FROM graph_subscriptions WHERE environment_id = $1 AND connection_id = ANY($2::bigint[]) ORDER BY id`,
  values: [environmentId, connectionRowIds],
});

export const deleteRow = (id: string): Query => ({
  text: 'DELETE FROM graph_subscriptions WHERE id = $1',
  values: [id],
});
