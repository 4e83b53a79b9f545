import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry } from '@weft/cli';
import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
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
let telemetry: { shutdown(): Promise<void> };
const connections: Record<string, { id: number; providerConfigKey: string; connectionId: string }> = {};

beforeAll(async () => {
  // A loopback OTLP/HTTP receiver: whatever the exporter posts to /v1/traces is kept.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  telemetry = startTelemetry(process.env, 'test');
  h = await startApi();
  api = await startDemoApi(120);
  for (const key of ['demo', 'failing']) {
    await h.api('/integrations', {
      method: 'POST',
      json: { unique_key: key, provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
    });
    const response = await h.api('/connection', {
      method: 'POST',
      json: {
        connection_id: 'c1',
        provider_config_key: key,
        credentials: { type: 'API_KEY', apiKey: 'ghp_trace_secret' },
      },
    });
    connections[key] = {
      id: ((await response.json()) as { id: number }).id,
      providerConfigKey: key,
      connectionId: 'c1',
    };
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
const attr = (span: OtlpSpan | undefined, key: string) => {
  const value = span?.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? value?.intValue ?? value?.boolValue;
};

describe('OpenTelemetry over OTLP/HTTP', () => {
  it('exports run → proxy request → record write spans with connection/sync attributes, and error status for a failed run', async () => {
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
  });
});
