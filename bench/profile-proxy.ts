import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createProxy, ProxyRequestLog } from '@weft/proxy';
import { Pool } from 'undici';
import { startBenchDatabase } from './bench-database.js';
import { benchAuth, startUpstreamProcess } from './bench-setup.js';
import { writeProfileSummary } from './profile-summary.js';

/**
 * CPU profile of the proxy engine alone (the same setup as bench/proxy.bench.ts): warm up, then
 * profile N proxied GETs and write bench/profiles/<name>.cpuprofile, a top-N self-time table
 * (.md) and a flame graph (.svg). Usage: node --no-node-snapshot --import tsx bench/profile-proxy.ts [name] [direct]
 */
const REQUESTS = 20_000;
const CONCURRENCY = 10;
const name = process.argv[2] ?? 'proxy';
// `direct` profiles the baseline instead: undici straight to the same server.
const direct = process.argv[3] === 'direct';
const UPSTREAM = `
const http = require('node:http');
const body = Buffer.from(JSON.stringify({ value: Array.from({ length: 20 }, (_, i) => ({ id: 'item-' + i, name: 'document-' + i + '.docx', size: 1000 + i })) }));
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));
process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;

const upstream = await startUpstreamProcess(UPSTREAM);
const db = await startBenchDatabase();
try {
  const { environmentId, auth, connect } = await benchAuth(db.pool);
  await connect('pat', upstream.url, 'bench');
  const proxy = createProxy({
    credentials: auth,
    policy: { allowPrivateNetwork: true },
    log: new ProxyRequestLog(db.pool),
    limits: () => ({ concurrency: 64 }),
  });
  const ref = { environmentId, providerConfigKey: 'pat', connectionId: 'bench' };
  const pool = new Pool(upstream.url, { connections: CONCURRENCY });
  const call = direct
    ? async () => {
        const response = await pool.request({
          path: '/data',
          method: 'GET',
          headers: { authorization: 'Bearer ghp_bench' },
        });
        await response.body.json();
      }
    : () => proxy.request(ref, { endpoint: '/data' });
  const drive = async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          next += 1;
          await call();
        }
      }),
    );
  };
  await drive(); // warm-up: JIT, pools, caches
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const started = performance.now();
  await drive();
  const seconds = (performance.now() - started) / 1000;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const base = new URL(`./profiles/${name}`, import.meta.url).pathname;
  await writeFile(`${base}.cpuprofile`, JSON.stringify(profile));
  await writeProfileSummary(
    profile,
    base,
    `${REQUESTS} ${direct ? 'direct undici' : 'proxied'} GETs, ${(REQUESTS / seconds).toFixed(0)} req/s under the profiler`,
  );
  process.stdout.write(`wrote ${base}.{cpuprofile,md,svg}\n`);
  await proxy.close();
  await pool.close();
} finally {
  await upstream.stop();
  await db.stop();
}
