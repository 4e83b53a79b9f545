import { environmentName } from '@weft/db';
import type { AuthDeps, AuthEvent } from './auth-deps.js';
import { nangoAuthPayload } from './auth-webhook.js';
import { type ConnectionRecord, deleteConnectionRecord, findConnectionRecord } from './connections.js';
import type { ConnectionRef } from './resolve-connection.js';

/** Hand an auth event to the outbox in Nango's shape; a failure to deliver never fails the flow. */
export async function emitAuthEvent(deps: Pick<AuthDeps, 'pool' | 'onEvent'>, event: AuthEvent): Promise<void> {
  if (deps.onEvent === undefined) return;
  const environment = (await environmentName(deps.pool, event.environmentId).catch(() => null)) ?? '';
  await deps.onEvent({ ...event, payload: nangoAuthPayload(event.payload, environment) }).catch(() => {});
}

/**
 * Run the validate-connection hook on a stored connection. A hook that throws refuses a
 * connection that did not exist before (it is deleted again); a re-authorised one stays.
 */
export async function validateStored(
  deps: Pick<AuthDeps, 'pool' | 'hooks'>,
  connection: ConnectionRecord,
): Promise<void> {
  const hooks = deps.hooks.current;
  if (hooks === undefined) return;
  try {
    await hooks.validate(connection);
  } catch (error) {
    if (connection.createdAt === connection.updatedAt)
      await deleteConnectionRecord(
        deps.pool,
        connection.environmentId,
        connection.providerConfigKey,
        connection.connectionId,
      ).catch(() => {});
    throw error;
  }
}

/** Run the post-connection-creation hook (its failures are the hook's to log). */
export async function announceCreated(deps: Pick<AuthDeps, 'hooks'>, connection: ConnectionRecord): Promise<void> {
  await deps.hooks.current?.created(connection).catch(() => {});
}

/** Deletes the connection; its pre-connection-deletion scripts run first, while its records still exist. */
export async function deleteConnection(
  deps: Pick<AuthDeps, 'pool' | 'box' | 'hooks'>,
  ref: ConnectionRef,
): Promise<void> {
  const hooks = deps.hooks.current;
  if (hooks !== undefined) {
    const record = await findConnectionRecord(
      deps.pool,
      deps.box,
      ref.environmentId,
      ref.providerConfigKey,
      ref.connectionId,
    );
    await hooks.deleting(record).catch(() => {});
  }
  await deleteConnectionRecord(deps.pool, ref.environmentId, ref.providerConfigKey, ref.connectionId);
}
