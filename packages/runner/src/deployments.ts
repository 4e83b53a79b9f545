import { integrationRowId } from '@weft/auth';
import type { Pool } from '@weft/db';
import { LIST_DEPLOYMENTS } from './sql.js';

/** One deployment of an integration's scripts (GET /deployments). */
export interface DeploymentSummary {
  version: number;
  active: boolean;
  summary: unknown;
  /** Postgres timestamptz text. */
  createdAt: string;
}

/** The last 100 deployments of an integration, newest first. */
export async function listDeployments(
  pool: Pool,
  environmentId: number,
  providerConfigKey: string,
): Promise<DeploymentSummary[]> {
  const integrationId = await integrationRowId(pool, environmentId, providerConfigKey);
  if (integrationId === undefined) return [];
  const { rows } = await pool.query<{ version: number; active: boolean; summary: unknown; created_at: string }>(
    LIST_DEPLOYMENTS,
    [integrationId],
  );
  return rows.map((r) => ({ version: r.version, active: r.active, summary: r.summary, createdAt: r.created_at }));
}
