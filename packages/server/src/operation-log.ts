import { connectionKeys } from '@weft/auth';
import { compareOperations, type OperationEntry, type OperationQuery, type OperationType, type Pool } from '@weft/db';
import { listProxyRequestOperations } from '@weft/proxy';
import { listWebhookOperations } from '@weft/records';
import { listOnEventRunOperations } from '@weft/runner';
import { listActionRunOperations, listSyncRunOperations } from '@weft/scheduler';

/** The filter of GET /logs and the dashboard's log, before connections are resolved to rows. */
export type OperationLogFilter = Omit<OperationQuery, 'connectionRowIds'>;

/** One operation-log line as the API answers it. */
// A type (not an interface) so it fits the contract's loose objects.
export type OperationLine = {
  type: OperationType;
  id: string;
  provider_config_key: string | null;
  connection_id: string | null;
  name: string | null;
  state: string | null;
  at: string;
  ended_at: string | null;
  message: string | null;
  messages: unknown[];
};

// Each package lists the operations of its own tables; `types` names what each source can return.
const SOURCES: Array<{ types: OperationType[]; list: (pool: Pool, q: OperationQuery) => Promise<OperationEntry[]> }> = [
  { types: ['sync'], list: listSyncRunOperations },
  { types: ['action'], list: listActionRunOperations },
  { types: ['on-event'], list: listOnEventRunOperations },
  { types: ['proxy'], list: listProxyRequestOperations },
  { types: ['webhook', 'auth'], list: listWebhookOperations },
];

/**
 * The operation log, newest first: every source's newest `limit` lines under the same filter,
 * merged, cut to `limit` (the top lines of a union are among the top lines of each part). Lines
 * that reference a connection by row id get its external names from auth.
 */
export async function listOperations(pool: Pool, filter: OperationLogFilter): Promise<OperationLine[]> {
  const filtered = filter.connectionId !== null || filter.integration !== null;
  const matching = filtered
    ? await connectionKeys(pool, filter.environmentId, {
        connectionId: filter.connectionId,
        providerConfigKey: filter.integration,
      })
    : [];
  const query: OperationQuery = { ...filter, connectionRowIds: filtered ? matching.map((c) => c.rowId) : null };
  const wanted = SOURCES.filter((s) => filter.types === null || s.types.some((t) => filter.types?.includes(t)));
  const lines = (await Promise.all(wanted.map((s) => s.list(pool, query)))).flat();
  lines.sort(compareOperations);
  const page = lines.slice(0, filter.limit);
  const rowIds = [...new Set(page.flatMap((l) => (l.connectionRowId === null ? [] : [l.connectionRowId])))];
  const names = new Map(
    (rowIds.length === 0 ? [] : await connectionKeys(pool, filter.environmentId, { rowIds })).map((c) => [c.rowId, c]),
  );
  return page.map((l) => {
    const named = l.connectionRowId === null ? undefined : names.get(l.connectionRowId);
    return {
      type: l.type,
      id: l.id,
      provider_config_key: l.providerConfigKey ?? named?.providerConfigKey ?? null,
      connection_id: l.connectionId ?? named?.connectionId ?? null,
      name: l.name,
      state: l.state,
      at: l.at,
      ended_at: l.endedAt,
      message: l.message,
      messages: l.messages,
    };
  });
}
