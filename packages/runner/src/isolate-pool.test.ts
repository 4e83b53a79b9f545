import { afterAll, describe, expect, it } from 'vitest';
import { createIsolatePool, isolatePool, resolveShape } from './isolate-pool.js';
import { runInSandbox } from './sandbox.js';
import { bundleUsesSharedZod, sandboxZodSource } from './sandbox-zod.js';

// A hand-written artifact of the shape compileIntegration produces: an action whose exec runs `body`.
const action = (body: string) =>
  `globalThis.__weft = { module: { default: { exec: async (nango, input) => { ${body} } } } };`;
const run = (bundle: string, memoryMb = 128) =>
  runInSandbox({
    name: 'pool-test',
    kind: 'action',
    bundle,
    env: { connectionId: 'c', providerConfigKey: 'k', lastSyncDate: null },
    host: async () => null,
    limits: { memoryMb, wallMs: 30_000 },
  });

describe('isolate pool', () => {
  const shape = resolveShape(128);
  const pool = createIsolatePool({ size: 2 });
  afterAll(() => pool.close());

  it('hands each prepared isolate out once, ready with prelude and zod', async () => {
    pool.warm(shape);
    await pool.settled();
    expect(pool.readyCount(shape)).toBe(2);
    const a = await pool.acquire(shape, true);
    const b = await pool.acquire(shape, true);
    expect(a.isolate).not.toBe(b.isolate);
    expect(pool.readyCount(shape)).toBe(0);
    expect(await a.context.eval('typeof globalThis.__weft_run + typeof globalThis.__weft_zod.object')).toBe(
      'functionfunction',
    );
    a.bind({ call: async () => '{}', log: () => {}, timer: async () => {} });
    expect(() => a.bind({ call: async () => '{}', log: () => {}, timer: async () => {} })).toThrow(/one run only/);
    a.isolate.dispose();
    b.isolate.dispose();
    // The next ones are new isolates, prepared after the runs ended.
    a.ended();
    b.ended();
    await pool.settled();
    const c = await pool.acquire(shape, true);
    expect([a.isolate, b.isolate]).not.toContain(c.isolate);
    c.isolate.dispose();
  });

  it('a run finding the pool empty takes the isolate being warmed, which is then never handed out again', async () => {
    const one = createIsolatePool({ size: 1 });
    try {
      one.warm(shape);
      // The refill starts on the next turn of the event loop; this one comes after it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(one.readyCount(shape)).toBe(0);
      // Asked without zod: an isolate prepared for this run would have none; the one being warmed has it.
      const taken = await one.acquire(shape, false);
      expect(taken.hasZod).toBe(true);
      await one.settled();
      expect(one.readyCount(shape)).toBe(1);
      const next = await one.acquire(shape, true);
      expect(next.isolate).not.toBe(taken.isolate);
      taken.isolate.dispose();
      next.isolate.dispose();
    } finally {
      one.close();
    }
  });

  it('an isolate of another memory limit is never handed out for this one', async () => {
    const small = resolveShape(32);
    const taken = await pool.acquire(small, false);
    // Prepared for this request (the pool had none of this shape), with the run's own limit.
    expect(taken.hasZod).toBe(false);
    const heap = await taken.isolate.getHeapStatistics();
    expect(heap.heap_size_limit).toBeLessThan(64 * 1024 * 1024);
    taken.isolate.dispose();
  });
});

describe('runs in pre-warmed isolates', () => {
  it('never see what an earlier run left in its isolate', async () => {
    const shape = resolveShape(128);
    isolatePool.configure({ size: 2 });
    isolatePool.warm(shape);
    await isolatePool.settled();
    const first = await run(action(`globalThis.leak = 'run 1'; Object.prototype.polluted = true; return 'set';`));
    expect(first.output).toBe('set');
    for (let i = 0; i < 4; i++) {
      const next = await run(action(`return [typeof globalThis.leak, typeof ({}).polluted];`));
      expect(next.output).toEqual(['undefined', 'undefined']);
    }
  });

  it('a bundle that reads the sandbox zod runs in a cold isolate too', async () => {
    isolatePool.configure({ size: 0 });
    const bundle = action(`const z = globalThis.__weft_zod; return z.object({ n: z.number() }).parse({ n: 2 });`);
    expect(bundleUsesSharedZod(bundle)).toBe(true);
    expect((await run(bundle, 96)).output).toEqual({ n: 2 });
    isolatePool.configure({ size: 2 });
  });

  it('the shared zod is built once and defines the global it is read from', async () => {
    const source = await sandboxZodSource();
    expect(source).toContain('globalThis.__weft_zod');
    expect(await sandboxZodSource()).toBe(source);
  });
});
