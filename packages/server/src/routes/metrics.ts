import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';

const METRICS_SQL = `
SELECT
  (SELECT coalesce(json_object_agg(status, n), '{}') FROM (SELECT status, count(*)::int AS n FROM sync_runs GROUP BY status) s) AS runs,
  (SELECT coalesce(json_object_agg(state, n), '{}') FROM (SELECT state, count(*)::int AS n FROM schedules GROUP BY state) s) AS schedules,
  (SELECT coalesce(json_object_agg(state, n), '{}') FROM (SELECT state, count(*)::int AS n FROM webhook_deliveries GROUP BY state) s) AS deliveries,
  (SELECT coalesce(json_object_agg(auth_state, n), '{}') FROM (SELECT auth_state, count(*)::int AS n FROM connections GROUP BY auth_state) s) AS connections,
  (SELECT count(*)::int FROM proxy_requests WHERE created_at > now() - interval '5 minutes') AS proxy_requests_5m,
  (SELECT count(*)::int FROM proxy_requests WHERE created_at > now() - interval '5 minutes' AND error_code IS NOT NULL) AS proxy_errors_5m,
  (SELECT coalesce(sum(n_live_tup), 0)::bigint FROM pg_stat_user_tables WHERE relname = 'records') AS records_estimate`;

function family(
  name: string,
  help: string,
  type: 'gauge' | 'counter',
  samples: Array<[Record<string, string>, number]>,
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, value] of samples) {
    const rendered = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    lines.push(`${name}${rendered ? `{${rendered}}` : ''} ${value}`);
  }
  return lines.join('\n');
}

/**
 * `GET /metrics` in Prometheus text format, computed from Postgres at scrape time (every process
 * sees the same numbers, whichever worker did the work). Needs the secret key like every route.
 */
export const metricsRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/metrics', async (_request, reply) => {
      const { rows } = await ctx.pool.query<{
        runs: Record<string, number>;
        schedules: Record<string, number>;
        deliveries: Record<string, number>;
        connections: Record<string, number>;
        proxy_requests_5m: number;
        proxy_errors_5m: number;
        records_estimate: number;
      }>(METRICS_SQL);
      const m = rows[0];
      const memory = process.memoryUsage();
      const body = [
        family(
          'weft_sync_runs',
          'Sync runs by status (all time).',
          'gauge',
          Object.entries(m?.runs ?? {}).map(([status, n]) => [{ status }, n]),
        ),
        family(
          'weft_schedules',
          'Sync schedules by state.',
          'gauge',
          Object.entries(m?.schedules ?? {}).map(([state, n]) => [{ state }, n]),
        ),
        family(
          'weft_webhook_deliveries',
          'Webhook deliveries by state.',
          'gauge',
          Object.entries(m?.deliveries ?? {}).map(([state, n]) => [{ state }, n]),
        ),
        family(
          'weft_connections',
          'Connections by auth state.',
          'gauge',
          Object.entries(m?.connections ?? {}).map(([state, n]) => [{ auth_state: state }, n]),
        ),
        family('weft_proxy_requests_5m', 'Proxied calls in the last 5 minutes.', 'gauge', [
          [{}, m?.proxy_requests_5m ?? 0],
        ]),
        family('weft_proxy_errors_5m', 'Proxied calls that failed in the last 5 minutes.', 'gauge', [
          [{}, m?.proxy_errors_5m ?? 0],
        ]),
        family('weft_records_estimate', 'Stored records (planner estimate).', 'gauge', [
          [{}, Number(m?.records_estimate ?? 0)],
        ]),
        family('process_resident_memory_bytes', 'Resident memory of this process.', 'gauge', [[{}, memory.rss]]),
      ].join('\n\n');
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${body}\n`);
    });
  };
