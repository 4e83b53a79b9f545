import type { Pool } from './pool.js';

/**
 * The operation log is one list over tables of several packages (sync and action runs, event-script
 * runs, proxy calls, webhook deliveries, auth events). Each owning package lists its own operations
 * with the filter below and `operationLogSql`; the API merges the sources newest first. Ordering is
 * by (at, id) in byte order (COLLATE "C"), the order `compareOperations` sorts in, so the merge and
 * every page boundary agree.
 */

/** The internal row id of a connection (`connections.id`), never the external `connectionId` string. */
export type ConnectionRowId = number & { readonly __brand: 'ConnectionRowId' };

/** Brands a number read from `connections.id` (or a column referencing it). */
export const connectionRowId = (id: number | string): ConnectionRowId => Number(id) as ConnectionRowId;

export type OperationType = 'sync' | 'action' | 'on-event' | 'proxy' | 'webhook' | 'auth';

/** What every source filters on; `connectionRowIds` is the connection/integration filter resolved to rows. */
export interface OperationQuery {
  environmentId: number;
  /** External connection id filter (sources that store it). */
  connectionId: string | null;
  /** Integration unique key filter (sources that store it). */
  integration: string | null;
  /** The connections matching connectionId/integration; null when neither is given. */
  connectionRowIds: ConnectionRowId[] | null;
  /** A substring of the name (never a LIKE pattern). */
  name: string | null;
  state: string | null;
  since: string | null;
  until: string | null;
  types: OperationType[] | null;
  /** Case-insensitive substring of the name, the message or the log lines. */
  search: string | null;
  /** Keyset: only operations strictly older than (at, id). */
  before: { at: string; id: string } | null;
  limit: number;
}

/** One line of the operation log. Sources keyed by connection row fill connectionRowId; the API names it. */
export interface OperationEntry {
  type: OperationType;
  id: string;
  providerConfigKey: string | null;
  connectionId: string | null;
  connectionRowId: ConnectionRowId | null;
  name: string | null;
  state: string | null;
  /** ISO 8601 UTC with microseconds (fixed width, so it sorts as text). */
  at: string;
  endedAt: string | null;
  message: string | null;
  messages: unknown[];
}

/**
 * A source's operation query from its inner SELECT, which must give the columns type, id,
 * connection_row_id, provider_config_key, connection_id, name, state, at (timestamptz), ended_at,
 * message, messages and use $1 (environment) and $2 (connection row ids) itself; rows with a
 * connection_row_id are filtered by $2 there, rows without one by their own connection_id and
 * provider_config_key here. The filter parameters follow: $3 name, $4 state, $5 since, $6 until, $7 search, $8/$9 before (at, id),
 * $10 limit, $11 types, $12 connection id, $13 integration.
 */
export function operationLogSql(inner: string): string {
  return `
SELECT type, id, connection_row_id, provider_config_key, connection_id, name, state,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
       to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ended_at, message, messages
FROM (${inner}) ops
WHERE ($3::text IS NULL OR strpos(lower(name), lower($3)) > 0) AND ($4::text IS NULL OR state = $4)
  AND ($5::timestamptz IS NULL OR at > $5) AND ($6::timestamptz IS NULL OR at <= $6)
  AND ($7::text IS NULL OR strpos(lower(name), lower($7)) > 0
       OR strpos(lower(coalesce(message, '')), lower($7)) > 0 OR strpos(lower(messages::text), lower($7)) > 0)
  AND ($8::timestamptz IS NULL OR (at, id COLLATE "C") < ($8::timestamptz, $9::text COLLATE "C"))
  AND ($11::text[] IS NULL OR type = ANY($11::text[]))
  AND ($12::text IS NULL OR connection_row_id IS NOT NULL OR connection_id = $12)
  AND ($13::text IS NULL OR provider_config_key = $13 OR (provider_config_key IS NULL AND connection_row_id IS NOT NULL))
ORDER BY at DESC, id COLLATE "C" DESC
LIMIT $10`;
}

interface OperationRow {
  type: OperationType;
  id: string;
  connection_row_id: string | number | null;
  provider_config_key: string | null;
  connection_id: string | null;
  name: string | null;
  state: string | null;
  at: string;
  ended_at: string | null;
  message: string | null;
  messages: unknown[] | null;
}

function toOperationEntry(row: OperationRow): OperationEntry {
  return {
    type: row.type,
    id: row.id,
    providerConfigKey: row.provider_config_key,
    connectionId: row.connection_id,
    connectionRowId: row.connection_row_id === null ? null : connectionRowId(row.connection_row_id),
    name: row.name,
    state: row.state,
    at: row.at,
    endedAt: row.ended_at,
    message: row.message,
    messages: row.messages ?? [],
  };
}

/** Runs a source's `operationLogSql` with the query's filters. */
export async function queryOperations(pool: Pool, text: string, q: OperationQuery): Promise<OperationEntry[]> {
  const { rows } = await pool.query<OperationRow>(text, [
    q.environmentId,
    q.connectionRowIds,
    q.name,
    q.state,
    q.since,
    q.until,
    q.search,
    q.before?.at ?? null,
    q.before?.id ?? null,
    q.limit,
    q.types,
    q.connectionId,
    q.integration,
  ]);
  return rows.map(toOperationEntry);
}

/** Newest first, then by id in byte order: the order every source's SQL returns. */
export function compareOperations(a: OperationEntry, b: OperationEntry): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}
