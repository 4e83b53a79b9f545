import { connectionMetrics } from '@weft/auth';
import { proxyMetrics } from '@weft/proxy';
import { recordsMetrics } from '@weft/records';
import { runMetrics } from '@weft/scheduler';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';

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
      // Each owner counts its own tables.
      const [runs, records, proxy, connections] = await Promise.all([
        runMetrics(ctx.pool),
        recordsMetrics(ctx.pool),
        proxyMetrics(ctx.pool),
        connectionMetrics(ctx.pool),
      ]);
      const memory = process.memoryUsage();
      const body = [
        family(
          'weft_sync_runs',
          'Sync runs by status (all time).',
          'gauge',
          Object.entries(runs.runsByStatus).map(([status, n]) => [{ status }, n]),
        ),
        family(
          'weft_schedules',
          'Sync schedules by state.',
          'gauge',
          Object.entries(runs.schedulesByState).map(([state, n]) => [{ state }, n]),
        ),
        family(
          'weft_webhook_deliveries',
          'Webhook deliveries by state.',
          'gauge',
          Object.entries(records.deliveriesByState).map(([state, n]) => [{ state }, n]),
        ),
        family(
          'weft_connections',
          'Connections by auth state.',
          'gauge',
          Object.entries(connections).map(([state, n]) => [{ auth_state: state }, n]),
        ),
        family('weft_proxy_requests_5m', 'Proxied calls in the last 5 minutes.', 'gauge', [[{}, proxy.requests5m]]),
        family('weft_proxy_errors_5m', 'Proxied calls that failed in the last 5 minutes.', 'gauge', [
          [{}, proxy.errors5m],
        ]),
        family('weft_records_estimate', 'Stored records (planner estimate).', 'gauge', [[{}, records.recordsEstimate]]),
        family('process_resident_memory_bytes', 'Resident memory of this process.', 'gauge', [[{}, memory.rss]]),
      ].join('\n\n');
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(`${body}\n`);
    });
  };
