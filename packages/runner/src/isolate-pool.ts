import ivm from 'isolated-vm';
import { defaultGuardLimits, SANDBOX_GUARDS, type SandboxGuardLimits } from './sandbox-guards.js';
import { SANDBOX_PRELUDE } from './sandbox-prelude.js';
import { evaluateSandboxZod } from './sandbox-zod.js';

/**
 * Pre-warmed isolates: created, with context, guards, prelude and zod evaluated, before a run
 * asks for one, so a run starts by binding its host handlers and loading its own (small) bundle.
 *
 * Guarantees kept:
 * - One isolate serves ONE run and is then disposed: `acquire` removes it from the pool for good
 *   (nothing of a run, its connection or its script is ever seen by another run).
 * - Memory limits hold per isolate (an isolate is only handed to a run asking for the limits it
 *   was created with; anything else gets a fresh one), and CPU spent warming is not billed to the run.
 * - Warming never delays a run: a run that finds the pool empty takes the isolate being warmed
 *   (which is then never the pool's), or prepares its own at once when none is; refills happen
 *   one at a time, in the background, when the run that took an isolate has ended (or has been
 *   running for LONG_RUN_MS), so they stay out of its start.
 */

/** What a run needs to be able to ask of an isolate: its memory limit and in-isolate guard limits. */
export interface IsolateShape {
  memoryMb: number;
  guards: SandboxGuardLimits;
}

/** The run's side of the three host doors (bound when the isolate is handed out). */
export interface IsolateHandlers {
  call(op: string, argsJson: string): Promise<string>;
  log(level: string, message: string): void;
  timer(ms: number): Promise<void>;
}

export interface PreparedIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  /** The guards' report of dropped/sent log lines. */
  stats: ivm.Reference<() => string>;
  /** The prelude's `__weft_run(kind, inputJson, envJson)`. */
  run: ivm.Reference<(kind: string, input?: string, env?: string) => Promise<string>>;
  /** Whether zod is already evaluated (`globalThis.__weft_zod`). */
  hasZod: boolean;
  /** CPU time (ns) the isolate had used when it was handed out: warming is not the run's. */
  cpuAtStart: number;
  /** Point the host doors at one run's handlers; once. */
  bind(handlers: IsolateHandlers): void;
  /**
   * The run has loaded its script: the pool refills a little later, unless the run ends first.
   * Refilling at once would put the next isolate's creation (synchronous on the main thread) and
   * its evaluation (CPU on a 2-core machine) inside this run's start and first host call.
   */
  loaded(): void;
  /** The run has ended (its isolate is disposed): the pool refills now. */
  ended(): void;
}

const NOT_BOUND = JSON.stringify({ ok: false, error: { name: 'Error', message: 'no run is bound to this isolate' } });

// Code cache of the prelude (≈48 KB): isolates after the first skip parsing it.
let preludeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

/**
 * Create an isolate ready for a script: guards and prelude evaluated, and zod when `withZod`
 * (warmed up too when prepared `ahead` of a run). The host doors forward to handlers bound
 * later, so the isolate can be made before its run.
 */
export async function prepareIsolate(shape: IsolateShape, withZod: boolean, ahead = false): Promise<PreparedIsolate> {
  const isolate = new ivm.Isolate({ memoryLimit: shape.memoryMb });
  let handlers: IsolateHandlers | undefined;
  try {
    const context = await isolate.createContext();
    const jail = context.global;
    await jail.set('globalThis', jail.derefInto());
    await jail.set(
      '__hostCall',
      new ivm.Reference((op: string, argsJson: string) =>
        handlers ? handlers.call(op, argsJson) : Promise.resolve(NOT_BOUND),
      ),
    );
    await jail.set('__hostLog', new ivm.Reference((level: string, message: string) => handlers?.log(level, message)));
    await jail.set(
      '__hostTimer',
      new ivm.Reference((ms: number) => (handlers ? handlers.timer(ms) : Promise.resolve())),
    );
    const stats = (await context.evalClosure(SANDBOX_GUARDS, [shape.guards], {
      filename: 'weft-guards.js',
      arguments: { copy: true },
      result: { reference: true },
    })) as ivm.Reference<() => string>;
    const prelude = await isolate.compileScript(SANDBOX_PRELUDE, {
      filename: 'weft-prelude.js',
      ...(preludeCache ? { cachedData: preludeCache } : { produceCachedData: true }),
    });
    const produced = (prelude as unknown as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    if (!preludeCache && produced) preludeCache = produced;
    await prelude.run(context);
    prelude.release();
    if (withZod) await evaluateSandboxZod(isolate, context, ahead);
    const run = (await jail.get('__weft_run', { reference: true })) as PreparedIsolate['run'];
    return {
      isolate,
      context,
      stats,
      run,
      hasZod: withZod,
      cpuAtStart: 0,
      loaded: () => {},
      ended: () => {},
      bind(next) {
        if (handlers) throw new Error('an isolate serves one run only');
        handlers = next;
      },
    };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

export interface IsolatePoolOptions {
  /** Isolates kept ready per shape; 0 turns pre-warming off. @default 2 */
  size?: number;
}

/** A run still going this long after loading is a long one: refill beside it rather than after it. */
const LONG_RUN_MS = 100;

/** Shapes remembered for pre-warming (one per distinct memory limit / guard set in use). */
const MAX_SHAPES = 4;

function keyOf(shape: IsolateShape): string {
  return JSON.stringify([shape.memoryMb, shape.guards]);
}

export function resolveShape(memoryMb: number, guards?: Partial<SandboxGuardLimits>): IsolateShape {
  return { memoryMb, guards: { ...defaultGuardLimits, ...guards } };
}

export interface IsolatePool {
  /**
   * An isolate of this shape, never handed out before. Taken from the pool when one is ready,
   * otherwise prepared now for this run (zod only when the bundle needs it).
   */
  acquire(shape: IsolateShape, needsZod: boolean): Promise<PreparedIsolate>;
  /** Change how many isolates are kept ready (0 disposes the ready ones). */
  configure(options: IsolatePoolOptions): void;
  /** Start warming isolates of this shape before the first run asks. */
  warm(shape: IsolateShape): void;
  /** Isolates ready now, per shape key (observability and tests). */
  readyCount(shape: IsolateShape): number;
  /** Resolves when no refill is under way (tests synchronise on it instead of sleeping). */
  settled(): Promise<void>;
  /** Dispose every ready isolate and stop refilling. */
  close(): void;
}

export function createIsolatePool(options: IsolatePoolOptions = {}): IsolatePool {
  let size = Math.max(0, Math.floor(options.size ?? 2));
  const shapes = new Map<string, IsolateShape>();
  const ready = new Map<string, PreparedIsolate[]>();
  let filling = false;
  /**
   * The isolate being warmed right now. A run finding the pool empty takes it rather than
   * preparing a second isolate beside it: on a 2-core machine two preparations at once each take
   * about twice as long, and the refill falling behind is what empties the pool in the first place.
   */
  let warming: { key: string; isolate: Promise<PreparedIsolate>; taken: boolean } | undefined;
  let closed = false;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => {};

  const remember = (shape: IsolateShape): string => {
    const key = keyOf(shape);
    if (!shapes.has(key) && shapes.size < MAX_SHAPES) shapes.set(key, shape);
    return key;
  };
  const disposeAll = () => {
    for (const list of ready.values()) for (const p of list.splice(0)) if (!p.isolate.isDisposed) p.isolate.dispose();
  };
  const nextShortfall = (): [string, IsolateShape] | undefined => {
    for (const [key, shape] of shapes) if ((ready.get(key)?.length ?? 0) < size) return [key, shape];
    return undefined;
  };
  // One isolate at a time (warming never takes more than one isolate thread), each after the
  // current turn of the event loop.
  const refill = () => {
    if (filling || closed || size === 0 || !nextShortfall()) return;
    filling = true;
    idle = new Promise<void>((resolve) => {
      markIdle = resolve;
    });
    setImmediate(async () => {
      try {
        for (let next = nextShortfall(); next && !closed; next = nextShortfall()) {
          const [key, shape] = next;
          // Warming zod's common paths doubles an isolate's preparation (≈8 → ≈17 ms). Worth it for
          // a spare; not for the pool's only isolate, which back-to-back runs are waiting for: a
          // refill slower than the runs it feeds empties the pool and every run then waits for one.
          const spare = (ready.get(key)?.length ?? 0) > 0;
          const current = { key, isolate: prepareIsolate(shape, true, spare), taken: false };
          warming = current;
          let prepared: PreparedIsolate;
          try {
            prepared = await current.isolate;
          } finally {
            warming = undefined;
          }
          if (current.taken) {
            // Handed to the run that waited for it (now the run's, never the pool's). The next
            // isolate is created on this thread: only after that run has gone on with its start.
            await new Promise<void>((resolve) => setImmediate(resolve));
            continue;
          }
          if (closed || size === 0 || !shapes.has(key)) {
            prepared.isolate.dispose();
            break;
          }
          const list = ready.get(key) ?? [];
          ready.set(key, list);
          list.push(prepared);
        }
      } catch {
        // Warming is an optimisation: a failure here (e.g. out of memory) leaves runs to prepare
        // their own isolate, which reports the failure to the run that hit it.
      } finally {
        filling = false;
        markIdle();
      }
    });
  };

  return {
    async acquire(shape, needsZod) {
      const key = remember(shape);
      let taken = ready.get(key)?.shift();
      if (taken === undefined && warming?.key === key && !warming.taken) {
        // Claimed before it lands in the pool, so no other run can be handed it.
        warming.taken = true;
        taken = await warming.isolate.catch(() => undefined);
      }
      const prepared = taken && !taken.isolate.isDisposed ? taken : await prepareIsolate(shape, needsZod);
      prepared.cpuAtStart = Number(prepared.isolate.cpuTime);
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      prepared.ended = () => {
        clearTimeout(timer);
        if (done) return;
        done = true;
        refill();
      };
      prepared.loaded = () => {
        if (done || timer) return;
        timer = setTimeout(prepared.ended, LONG_RUN_MS);
        timer.unref();
      };
      return prepared;
    },
    configure(next) {
      if (next.size !== undefined) size = Math.max(0, Math.floor(next.size));
      for (const list of ready.values())
        while (list.length > size) {
          const extra = list.pop();
          if (extra && !extra.isolate.isDisposed) extra.isolate.dispose();
        }
      refill();
    },
    warm(shape) {
      remember(shape);
      refill();
    },
    readyCount(shape) {
      return ready.get(keyOf(shape))?.length ?? 0;
    },
    settled: () => idle,
    close() {
      closed = true;
      disposeAll();
    },
  };
}

/** The process's pool, used by runInSandbox; entry points size it (WEFT_ISOLATE_POOL_SIZE). */
export const isolatePool: IsolatePool = createIsolatePool();
