import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry } from '@weft/cli';
import { createWebhookDeliveryWorker, type WebhookDeliveryWorker } from '@weft/records';
import { compileIntegration } from '@weft/runner';
import { createAlerter } from '@weft/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration } from '../helpers/api-key-connection.js';
import { spawnWeft } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from '../scheduler/helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: DemoApi;
let receiver: Server;
let receiverUrl: string;
const received: Array<{ path: string; body: string }> = [];
let deliveries: WebhookDeliveryWorker;
let telemetry: { shutdown(): Promise<void> };

beforeAll(async () => {
  h = await startApi({
    captureLogs: true,
    scheduler: { concurrency: 2, tickMs: 50, maxAttempts: 1, heartbeatTimeoutMs: 10_000 },
  });
  api = await startDemoApi(3);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.end('ok');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // The same loopback receiver is the OTLP/HTTP collector (/v1/traces, /v1/metrics).
  telemetry = startTelemetry(
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_METRIC_EXPORT_INTERVAL: '3600000' },
    'test',
  );
  await h.api('/webhooks/settings', { method: 'PUT', json: { primary_url: `${receiverUrl}/webhooks` } });
  deliveries = createWebhookDeliveryWorker({ pool: h.db.pool, box: h.box, policy: { pollMs: 25, baseDelayMs: 20 } });
  await deliveries.start();
  await connectApiKeyIntegration(h, 'failing', 'c1', api.url, 'ghp_observability_secret');
  await h.runner.deploy(h.environmentId, 'failing', await compileIntegration(`${fixtures}failing`));
  await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 day'`);
}, 60_000);

afterAll(async () => {
  await deliveries.stop();
  await telemetry.shutdown();
  receiver.closeAllConnections();
  receiver.close();
  await api.stop();
  await h.close();
});

describe('a failing sync is visible everywhere, once', () => {
  it('failed run in status, log lines with file:line, an error span, one alert message, one failure webhook; metrics count it; no secret leaks', async () => {
    await h.api('/sync/trigger', { method: 'POST', json: { provider_config_key: 'failing', syncs: ['broken'] } });
    const [run] = await eventually(
      async () => {
        const list = await runsOf(h.db.pool, 'broken');
        return list.length > 0 && list.every((r) => r.status === 'failed') ? list : undefined;
      },
      20_000,
      'the failed run',
    );
    expect(run?.attempt).toBe(1);

    const status = await h.get('/connections/c1/status?provider_config_key=failing');
    expect(status).toMatchObject({
      health: 'failing',
      syncs: [{ sync_name: 'broken', last_run: { status: 'failed' }, failures_24h: 1 }],
    });
    expect(status.syncs[0].last_run.error.message).toContain('upstream returned 3 items, expected none');
    expect(status.syncs[0].last_run.error.stack).toMatch(/syncs\/broken\.ts:11:\d+/);
    const integrationStatus = await h.get('/integrations/failing/status');
    expect(integrationStatus.connections).toEqual({ total: 1, ok: 0, failing: 1, needs_reauth: 0 });
    const runs = await h.get('/sync/runs?provider_config_key=failing&sync_name=broken');
    expect(runs.runs[0]).toMatchObject({ status: 'failed', error: { code: 'WEFT_RUNNER_SCRIPT_FAILED' } });

    const alerter = createAlerter({ pool: h.db.pool, webhookUrl: `${receiverUrl}/slack`, publicUrl: h.url });
    expect(await alerter.runOnce()).toBe(1);
    expect(await alerter.runOnce()).toBe(0); // one message per incident, not per scan
    const slack = received.filter((r) => r.path === '/slack');
    expect(slack).toHaveLength(1);
    expect(JSON.parse(slack[0]?.body ?? '{}')).toMatchObject({
      text: expect.stringContaining(
        'Sync broken of connection c1 (failing) failed: broken failed: upstream returned 3 items',
      ),
    });

    const hook = await eventually(
      async () => received.find((r) => r.path === '/webhooks'),
      10_000,
      'the failure webhook',
    );
    expect(JSON.parse(hook.body)).toMatchObject({
      type: 'sync',
      success: false,
      syncName: 'broken',
      connectionId: 'c1',
      error: { code: 'WEFT_RUNNER_SCRIPT_FAILED' },
    });
    expect(received.filter((r) => r.path === '/webhooks')).toHaveLength(1);

    // The operation log: the script's own line, then the failure with the user's file:line.
    const logged = await h.get('/logs?connection_id=c1&type=sync');
    const lines = logged.operations[0].messages.map((m: Body) => `${m.level}: ${m.message}`);
    expect(lines[0]).toBe('info: about to fail');
    expect(lines.at(-1)).toMatch(
      /^error: WEFT_RUNNER_SCRIPT_FAILED: .*upstream returned 3 items, expected none\n\s+at [^\n]*syncs\/broken\.ts:11:\d+/,
    );

    // The OTel span of the run, with error status, exported over OTLP/HTTP.
    await telemetry.shutdown();
    const spans = received
      .filter((r) => r.path === '/v1/traces')
      .flatMap((r) =>
        (
          JSON.parse(r.body) as {
            resourceSpans: Array<{
              scopeSpans: Array<{
                spans: Array<{
                  name: string;
                  status?: { code?: number; message?: string };
                  attributes: Array<{ key: string; value: { stringValue?: string } }>;
                  events?: Array<{ name: string; attributes: Array<{ key: string; value: { stringValue?: string } }> }>;
                }>;
              }>;
            }>;
          }
        ).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
      );
    const span = spans.find(
      (sp) =>
        sp.name === 'sync.run' && sp.attributes.some((a) => a.key === 'weft.run_id' && a.value.stringValue === run?.id),
    );
    expect(span?.status).toMatchObject({ code: 2, message: expect.stringContaining('upstream returned 3 items') });
    const exception = span?.events?.find((e) => e.name === 'exception');
    expect(exception?.attributes.find((a) => a.key === 'exception.stacktrace')?.value.stringValue).toMatch(
      /syncs\/broken\.ts:11:\d+/,
    );
    expect(received.some((r) => r.path === '/v1/metrics' && r.body.includes('weft.script.runs'))).toBe(true);

    const metrics = await h.api('/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toMatch(/^weft_sync_runs\{status="failed"\} 1$/m);
    expect(text).toMatch(/^weft_connections\{auth_state="ok"\} 1$/m);

    // Secrets never appear in logs, spans and metrics, alert messages, webhooks, run records, the
    // operation log, the dashboard or the API answers above.
    const settings = await h.get('/webhooks/settings');
    const dashboard = await (await fetch(`${h.url}/dashboard`)).text();
    const everything = [
      h.logs.join('\n'),
      JSON.stringify(received),
      JSON.stringify(status),
      JSON.stringify(runs),
      JSON.stringify(await h.get('/logs?connection_id=c1')),
      JSON.stringify(await h.get('/connections/c1/status?provider_config_key=failing')),
      dashboard,
      text,
    ].join('\n');
    for (const secret of ['ghp_observability_secret', settings.secret as string, h.secretKey]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('requires the secret key for metrics and status', async () => {
    expect((await fetch(`${h.url}/metrics`)).status).toBe(401);
    const unknown = await h.api('/connections/ghost/status?provider_config_key=failing');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Body).error.code).toBe('WEFT_AUTH_CONNECTION_NOT_FOUND');
  });

  it('the operation log shows the run with its log lines, its proxy call and the webhook; weft logs --follow streams new entries', async () => {
    const all = await h.get('/logs?connection_id=c1');
    const types = new Set(all.operations.map((o: Body) => o.type));
    expect(types).toEqual(new Set(['sync', 'proxy', 'webhook']));
    const sync = all.operations.find((o: Body) => o.type === 'sync');
    expect(sync).toMatchObject({
      name: 'broken',
      state: 'failed',
      connection_id: 'c1',
      provider_config_key: 'failing',
    });
    expect(sync.messages.map((m: Body) => m.message)).toContain('about to fail');
    const failedProxy = await h.get('/logs?type=proxy&state=success&integration=failing');
    expect(failedProxy.operations[0].name).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/items$/);
    const bad = await h.api('/logs?state=sideways');
    expect(bad.status).toBe(400);

    const follow = spawnWeft(['logs', '--connection', 'c1', '--type', 'sync', '--follow'], {
      WEFT_API_URL: h.url,
      WEFT_SECRET_KEY: h.secretKey,
    });
    try {
      await follow.waitForLine(/sync +failed +broken/);
      const before = follow.stdout.filter((l) => /sync +failed +broken/.test(l)).length;
      await h.api('/sync/trigger', { method: 'POST', json: { provider_config_key: 'failing', syncs: ['broken'] } });
      await eventually(
        async () => follow.stdout.filter((l) => /sync +failed +broken/.test(l)).length > before,
        20_000,
        'the new run in weft logs --follow',
      );
    } finally {
      follow.signal('SIGTERM');
      await follow.exited;
    }
  });
});
