import { createProxy, ProxyRequestLog } from '@weft/proxy';
import { Pool } from 'undici';
import { startBenchDatabase } from './bench-database.js';
import { benchAuth, startUpstreamProcess } from './bench-setup.js';
import { defineBench, median, percentile } from './harness.js';

const REQUESTS = 20_000;
const CONCURRENCY = 10;
// Five interleaved rounds: the direct baseline swings ±30 % between rounds on 2 cores; the median settles it.
const ROUNDS = 5;

// The provider: node:http answering a prebuilt ~2 KB JSON body, in its own process (notes/limits.md §5).
const UPSTREAM = `
const http = require('node:http');
const body = Buffer.from(JSON.stringify({ value: Array.from({ length: 20 }, (_, i) => ({ id: 'item-' + i, name: 'document-' + i + '.docx', size: 1000 + i })) }));
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));
process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;

async function drive(call: () => Promise<void>): Promise<{ rate: number; p50: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next += 1;
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: REQUESTS / seconds, p50: percentile(latencies, 50) };
}

export default defineBench({
  name: 'proxy',
  description: `${REQUESTS / 1000}k GETs of a 2 KB JSON body at concurrency ${CONCURRENCY}: through the proxy engine (credentials injected, logged) vs direct undici`,
  async run(report) {
    const upstream = await startUpstreamProcess(UPSTREAM);
    const base = upstream.url;
    const db = await startBenchDatabase();
    try {
      const { environmentId, auth, connect } = await benchAuth(db.pool);
      await connect('pat', base, 'bench');
      const log = new ProxyRequestLog(db.pool);
      const proxy = createProxy({
        credentials: auth,
        policy: { allowPrivateNetwork: true },
        log,
        limits: () => ({ concurrency: 64 }),
      });
      const ref = { environmentId, providerConfigKey: 'pat', connectionId: 'bench' };
      const direct = new Pool(base, { connections: CONCURRENCY });
      const directCall = async () => {
        const response = await direct.request({
          path: '/data',
          method: 'GET',
          headers: { authorization: 'Bearer ghp_bench' }, // what the proxy injects for this connection
        });
        await response.body.json();
      };
      const proxiedCall = async () => {
        await proxy.request(ref, { endpoint: '/data' });
      };
      await drive(directCall);
      await drive(proxiedCall);
      const directRuns: Array<{ rate: number; p50: number }> = [];
      const proxiedRuns: Array<{ rate: number; p50: number }> = [];
      for (let round = 0; round < ROUNDS; round++) {
        directRuns.push(await drive(directCall));
        proxiedRuns.push(await drive(proxiedCall));
      }
      const directRate = median(directRuns.map((r) => r.rate));
      const proxiedRate = median(proxiedRuns.map((r) => r.rate));
      const directP50 = median(directRuns.map((r) => r.p50));
      const proxiedP50 = median(proxiedRuns.map((r) => r.p50));
      report({
        metric: 'throughput',
        value: proxiedRate,
        baseline: directRate,
        unit: 'req/s',
        higherIsBetter: true,
        // Issue 21: at least 0.75x of direct undici to the same loopback server.
        target: 0.75,
        baselineLabel: 'direct undici Pool',
      });
      report({
        metric: 'p50_latency_within_0_5ms',
        value: proxiedP50,
        baseline: directP50 + 0.5,
        unit: 'ms',
        higherIsBetter: false,
        target: 1,
        baselineLabel: `direct p50 ${directP50.toFixed(2)} ms + 0.5 ms`,
      });
      await direct.close();
      await proxy.close();
    } finally {
      await upstream.stop();
      await db.stop();
    }
  },
});
