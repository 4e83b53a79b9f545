import vm from 'node:vm';
import { createProxy } from '@weft/proxy';
import { createRecordStore } from '@weft/records';
import {
  compileIntegration,
  createHostBridge,
  createRunner,
  isolatePool,
  runInSandbox,
  SANDBOX_PRELUDE,
  sandboxZodSource,
} from '@weft/runner';
import { createCheckpointStore } from '@weft/scheduler';
import ivm from 'isolated-vm';
import { startBenchDatabase } from './bench-database.js';
import { benchAuth, startUpstreamProcess } from './bench-setup.js';
import { defineBench, median, percentile } from './harness.js';

const fixture = new URL('./fixtures/integrations/bench-sync', import.meta.url).pathname;
const ROUNDS = 3;

// The provider: 100 pages × 100 records of ~1 KB, cursor-paginated, in its own process.
const UPSTREAM = `
const http = require('node:http');
const body = 'x'.repeat(900);
const pages = Array.from({ length: 100 }, (_, p) => Buffer.from(JSON.stringify({
  rows: Array.from({ length: 100 }, (_, i) => ({ id: 'r' + (p * 100 + i), title: 'row ' + (p * 100 + i), body, n: i })),
  next: p < 99 ? String(p + 1) : '',
})));
const server = http.createServer((req, res) => {
  const cursor = Number(new URL(req.url, 'http://x').searchParams.get('cursor') || 0);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': pages[cursor].length });
  res.end(pages[cursor]);
});
server.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + server.address().port + '\\n'));
process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;

export default defineBench({
  name: 'runner',
  description:
    'one sync (100 proxy calls, 10k ~1 KB records) in a fresh isolate vs the same bundle and host bridge in-process (node:vm)',
  async run(report) {
    const upstream = await startUpstreamProcess(UPSTREAM);
    const db = await startBenchDatabase();
    try {
      const { environmentId, auth, connect } = await benchAuth(db.pool);
      const connection = await connect('bench-sync', upstream.url, 'bench');
      const proxy = createProxy({ credentials: auth, policy: { allowPrivateNetwork: true } });
      const records = createRecordStore({ pool: db.pool });
      const runner = createRunner({ pool: db.pool, checkpoints: createCheckpointStore(db.pool), proxy, records, auth });
      const [script] = await compileIntegration(fixture);
      if (!script) throw new Error('bench fixture did not compile');
      // The sandbox evaluates zod before the bundle (sandbox-zod.ts); node:vm gets the same code.
      const zod = await sandboxZodSource();
      await runner.deploy(environmentId, 'bench-sync', [script]);
      const reset = () => db.pool.query('DELETE FROM records WHERE connection_id = $1', [connection.id]);

      const sandboxed = async () => {
        const result = await runner.runSync({
          environmentId: environmentId,
          connection,
          syncName: 'records',
          mode: 'full',
          lastSyncDate: null,
        });
        if (result.status !== 'success' || result.counts.Row?.added !== 10_000)
          throw new Error(`sandboxed run: ${JSON.stringify(result.error ?? result.counts)}`);
      };
      // Same bundle, same prelude, same host bridge — only the isolate is replaced by node:vm.
      const inProcess = async () => {
        const counts = {};
        const host = createHostBridge({
          pool: db.pool,
          checkpoints: createCheckpointStore(db.pool),
          proxy,
          records,
          auth,
          runId: 'bench',
          connection: { ...connection, environmentId: environmentId },
          scriptName: 'records',
          variant: 'base',
          definition: script.definition,
          validation: 'reject',
          maxBatchRecords: 10_000,
          counts,
          onLog: () => {},
          signal: new AbortController().signal,
        });
        const sandbox: Record<string, unknown> = {
          __hostCall: {
            apply: async (_t: unknown, [op, argsJson]: [string, string]) => {
              try {
                return JSON.stringify({ ok: true, value: (await host(op, JSON.parse(argsJson) as unknown[])) ?? null });
              } catch (error) {
                return JSON.stringify({ ok: false, error: { message: (error as Error).message } });
              }
            },
          },
          __hostLog: { applyIgnored: () => {} },
        };
        sandbox.globalThis = sandbox;
        const context = vm.createContext(sandbox);
        vm.runInContext(SANDBOX_PRELUDE, context);
        vm.runInContext(zod, context);
        vm.runInContext(script.bundle, context);
        const raw = await (sandbox.__weft_run as (k: string, i: undefined, e: string) => Promise<string>)(
          'sync',
          undefined,
          JSON.stringify({ connectionId: 'bench', providerConfigKey: 'bench-sync', lastSyncDate: null }),
        );
        if (!(JSON.parse(raw) as { ok: boolean }).ok) throw new Error(`in-process run: ${raw}`);
      };
      const timed = async (fn: () => Promise<void>) => {
        await reset();
        const started = performance.now();
        await fn();
        return performance.now() - started;
      };
      await timed(sandboxed);
      await timed(inProcess);
      const a: number[] = [];
      const b: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        b.push(await timed(inProcess));
        a.push(await timed(sandboxed));
      }
      report({
        metric: 'sync_wall_time',
        value: median(a),
        baseline: median(b),
        unit: 'ms',
        higherIsBetter: false,
        target: 1 / 1.5,
        baselineLabel: 'same sync in-process (node:vm)',
      });

      // Isolate start: from asking for an isolate until the script's module has run (pre-warmed
      // isolate from the pool when one is ready, bind the run's host doors, compile the bundle from
      // the code cache, run it). Baseline: a bare isolate (create + context + one eval), same run.
      const startOnce = async () =>
        (
          await runInSandbox({
            name: 'noop',
            kind: 'sync',
            bundle: script.bundle,
            env: { connectionId: 'x', providerConfigKey: 'x', lastSyncDate: null },
            // An empty provider: the run completes after one paginate round-trip.
            host: async (op) => (op === 'paginate.start' ? 'p' : op === 'paginate.next' ? { done: true } : null),
            limits: { wallMs: 10_000 },
          })
        ).startMs;
      const bareIsolate = async () => {
        const t = performance.now();
        const isolate = new ivm.Isolate({ memoryLimit: 128 });
        const context = await isolate.createContext();
        await context.eval('1');
        const ms = performance.now() - t;
        isolate.dispose();
        return ms;
      };
      const starts: number[] = [];
      const cold: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < 30; i++) {
        // Steady state: the refill that followed the previous run has finished (as it has when runs
        // are not back to back); a burst that empties the pool starts like the cold figure below.
        await isolatePool.settled();
        bare.push(await bareIsolate());
        starts.push(await startOnce());
      }
      // The same without pre-warming: each run prepares its own isolate (guards, prelude, zod).
      isolatePool.configure({ size: 0 });
      for (let i = 0; i < 15; i++) cold.push(await startOnce());
      isolatePool.configure({ size: 2 });
      report({
        metric: 'isolate_start_p50',
        value: percentile(starts, 50),
        baseline: percentile(bare, 50),
        unit: 'ms',
        higherIsBetter: false,
        target: 0.15,
        maxValue: 8,
        baselineLabel: 'bare isolate: create + context + eval',
      });
      report({
        metric: 'isolate_start_cold_p50',
        value: percentile(cold, 50),
        baseline: percentile(bare, 50),
        unit: 'ms',
        higherIsBetter: false,
        target: 0,
        baselineLabel: 'bare isolate (informational: pool size 0)',
      });
      await proxy.close();
    } finally {
      await upstream.stop();
      await db.stop();
    }
  },
});
