import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry } from '@weft/cli';
import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration, type RunnerConnection } from '../helpers/api-key-connection.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  status?: { code?: number; message?: string };
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } }>;
}

let h: ApiHarness;
let api: DemoApi;
let receiver: Server;
const bodies: string[] = [];
const metricBodies: string[] = [];
let telemetry: { shutdown(): Promise<void> };
const connections: Record<string, RunnerConnection> = {};

beforeAll(async () => {
  // A loopback OTLP/HTTP receiver: whatever the exporter posts to /v1/traces is kept.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      if (req.url === '/v1/metrics') metricBodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  process.env.OTEL_METRIC_EXPORT_INTERVAL = '3600000'; // only the flush on shutdown exports
  telemetry = startTelemetry(process.env, 'test');
  h = await startApi();
  api = await startDemoApi(120);
  for (const key of ['demo', 'failing']) {
    connections[key] = await connectApiKeyIntegration(h, key, 'c1', api.url, 'ghp_trace_secret');
    await h.runner.deploy(h.environmentId, key, await compileIntegration(`${fixtures}${key}`));
  }
}, 60_000);
afterAll(async () => {
  receiver.closeAllConnections();
  receiver.close();
  await api.stop();
  await h.close();
});

function spans(): OtlpSpan[] {
  return bodies.flatMap((b) => {
    const parsed = JSON.parse(b) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }> };
    return (parsed.resourceSpans ?? []).flatMap((r) => (r.scopeSpans ?? []).flatMap((s) => s.spans ?? []));
  });
}
interface OtlpPoint {
  attributes?: OtlpSpan['attributes'];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
}
/** The data points of a metric in the latest export that has it (values are cumulative), attributes flattened. */
function points(name: string): Array<{ value: number; count: number; labels: Record<string, unknown> }> {
  const exports = metricBodies.map((b) => {
    const parsed = JSON.parse(b) as {
      resourceMetrics?: Array<{
        scopeMetrics?: Array<{
          metrics?: Array<{ name: string; sum?: { dataPoints: OtlpPoint[] }; histogram?: { dataPoints: OtlpPoint[] } }>;
        }>;
      }>;
    };
    return (parsed.resourceMetrics ?? [])
      .flatMap((r) => r.scopeMetrics ?? [])
      .flatMap((s) => s.metrics ?? [])
      .filter((m) => m.name === name)
      .flatMap((m) => m.sum?.dataPoints ?? m.histogram?.dataPoints ?? [])
      .map((p) => ({
        value: Number(p.asInt ?? p.asDouble ?? 0),
        count: Number(p.count ?? 0),
        labels: Object.fromEntries(
          (p.attributes ?? []).map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? a.value.boolValue]),
        ),
      }));
  });
  return exports.filter((e) => e.length > 0).at(-1) ?? [];
}
const attr = (span: OtlpSpan | undefined, key: string) => {
  const value = span?.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? value?.intValue ?? value?.boolValue;
};

describe('OpenTelemetry over OTLP/HTTP', () => {
  it('exports run → proxy request → record write spans with connection/sync attributes, error status for a failed run, and run/record/proxy metrics', async () => {
    const ok = await h.runner.runSync({
      environmentId: h.environmentId,
      connection: connections.demo!,
      syncName: 'items',
      mode: 'full',
      lastSyncDate: null,
      runId: 'run-ok',
    });
    expect(ok.status).toBe('success');
    const failed = await h.runner.runSync({
      environmentId: h.environmentId,
      connection: connections.failing!,
      syncName: 'broken',
      mode: 'full',
      lastSyncDate: null,
      runId: 'run-bad',
    });
    expect(failed.status).toBe('failed');
    await telemetry.shutdown(); // flushes everything to the receiver

    const all = spans();
    const run = all.find((s) => s.name === 'sync.run' && attr(s, 'weft.run_id') === 'run-ok');
    expect(run).toBeDefined();
    expect(attr(run, 'weft.sync')).toBe('items');
    expect(attr(run, 'weft.connection_id')).toBe('c1');
    expect(attr(run, 'weft.provider_config_key')).toBe('demo');
    expect(Number(attr(run, 'weft.records.Item.added'))).toBe(120);
    const children = all.filter((s) => s.parentSpanId === run?.spanId);
    expect(children.filter((s) => s.name === 'proxy.request').length).toBe(3); // three pages
    expect(children.filter((s) => s.name === 'records.batchSave').length).toBe(3);
    expect(children.every((s) => s.traceId === run?.traceId)).toBe(true);
    expect(
      attr(
        children.find((s) => s.name === 'proxy.request'),
        'http.response.status_code',
      ),
    ).toBe(200);

    const bad = all.find((s) => s.name === 'sync.run' && attr(s, 'weft.run_id') === 'run-bad');
    expect(bad?.status?.code).toBe(2);
    expect(bad?.status?.message).toContain('upstream returned');
    expect(bodies.join('\n')).not.toContain('ghp_trace_secret');

    // Metrics arrive over OTLP too: runs by outcome, record changes, proxied calls by status.
    const runs = points('weft.script.runs');
    expect(runs).toContainEqual({
      value: 1,
      count: 0,
      labels: expect.objectContaining({ 'weft.script': 'items', 'weft.run_status': 'success' }),
    });
    expect(runs).toContainEqual({
      value: 1,
      count: 0,
      labels: expect.objectContaining({ 'weft.script': 'broken', 'weft.run_status': 'failed' }),
    });
    const added = points('weft.records.changes').find(
      (p) => p.labels['weft.model'] === 'Item' && p.labels['weft.change'] === 'added',
    );
    expect(added?.value).toBe(120);
    const proxied = points('weft.proxy.requests').filter(
      (p) => p.labels['weft.provider_config_key'] === 'demo' && p.labels['http.response.status_code'] === 200,
    );
    expect(proxied.reduce((sum, p) => sum + p.value, 0)).toBe(3);
    expect(points('weft.script.run.duration').some((p) => p.count >= 1)).toBe(true);
    expect(metricBodies.join('\n')).not.toContain('ghp_trace_secret');
    expect(metricBodies.join('\n')).not.toContain('"c1"'); // no connection ids in metric labels
  });
});
