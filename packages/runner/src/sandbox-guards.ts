import { NETWORK_OPERATIONS } from './host-protocol.js';

/**
 * Limits applied inside the isolate, before anything crosses to the host. Every crossing costs
 * the host: a copy of the arguments in host memory and a task on the host's event loop. A script
 * that could cross without bound (300,000 timers, a million unawaited calls, gigabytes of logs)
 * could stall or bloat the process that serves the API, so the counting happens on the script's
 * side, where the excess only costs the isolate's own (limited) heap.
 */
export interface SandboxGuardLimits {
  /** Host calls (proxy, batchSave, …) in flight at once; more wait in the isolate. @default 20 */
  maxPendingCalls: number;
  /**
   * Of those, calls served from the database (metadata, checkpoints, records, …), which share
   * the process's connection pool with the API: a run floods it no faster than this. @default 2
   */
  maxPendingStoreCalls: number;
  /** Argument bytes of the host calls in flight at once (one larger call may still go alone). @default 64 MiB */
  maxPendingBytes: number;
  /** Log lines a run may send to the host; later ones are counted and dropped. @default 2000 */
  maxLogLines: number;
  /** Characters of one log line; longer lines are cut before they are copied out. @default 10000 */
  maxLogChars: number;
}

export const defaultGuardLimits: SandboxGuardLimits = {
  maxPendingCalls: 20,
  maxPendingStoreCalls: 2,
  maxPendingBytes: 64 * 1024 * 1024,
  maxLogLines: 2_000,
  maxLogChars: 10_000,
};

/** Longest single timer, as before (the host clamps it too). */
export const MAX_TIMER_MS = 60_000;

/**
 * Body of a closure evaluated (`context.evalClosure`, limits as `$0`) after the raw host
 * references are installed and before the prelude captures them. It swaps `__hostCall` and
 * `__hostLog` for guarded stand-ins with the same `apply`/`applyIgnored` shape, serves timers
 * (`sleep`) from one heap inside the isolate with a single host timer, and replaces WebAssembly,
 * whose memory V8 allocates outside the isolate's heap limit. It returns a function reporting
 * what was dropped, which the host keeps a reference to.
 */
export const SANDBOX_GUARDS = String.raw`
  const limits = $0;
  const rawCall = globalThis.__hostCall;
  const rawLog = globalThis.__hostLog;
  const rawTimer = globalThis.__hostTimer;
  delete globalThis.__hostTimer;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const now = Date.now;
  const callOptions = { arguments: { copy: true }, result: { promise: true, copy: true } };

  // WebAssembly memory is allocated outside the isolate's heap limit (8 × 256 MiB passed a 128 MB
  // limit), so it is not offered: every entry point throws a coded error; feature detection
  // (typeof WebAssembly) still sees an object.
  const wasmDisabled = () => {
    const error = new Error("WebAssembly is disabled in the Weft sandbox: its memory is not covered by the run's memory limit");
    error.code = 'WEFT_RUNNER_WASM_DISABLED';
    throw error;
  };
  const stub = {};
  for (const name of ['Module', 'Instance', 'Memory', 'Table', 'Global', 'Tag', 'Exception']) {
    stub[name] = function () { wasmDisabled(); };
  }
  for (const name of ['compile', 'instantiate', 'validate', 'compileStreaming', 'instantiateStreaming']) {
    stub[name] = () => wasmDisabled();
  }
  Object.defineProperty(globalThis, 'WebAssembly', { value: Object.freeze(stub), writable: false, configurable: false, enumerable: false });

  // Timers: a binary heap ordered by due time; the host holds at most one timer for the run,
  // armed for the earliest entry (re-arming supersedes the previous one on the host).
  const heap = [];
  let sequence = 0;
  const before = (a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  const push = (entry) => {
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      const t = heap[i]; heap[i] = heap[parent]; heap[parent] = t; i = parent;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        const t = heap[i]; heap[i] = heap[m]; heap[m] = t; i = m;
      }
    }
    return top;
  };
  let armedAt = Infinity;
  let generation = 0;
  let armQueued = false;
  const fire = () => {
    const t = now();
    while (heap.length > 0 && heap[0].at <= t) pop().resolve('{"ok":true,"value":null}');
    arm();
  };
  const arm = () => {
    armQueued = false;
    if (heap.length === 0 || heap[0].at >= armedAt) return;
    armedAt = heap[0].at;
    const mine = ++generation;
    rawTimer.apply(undefined, [Math.max(0, armedAt - now())], { arguments: { copy: true }, result: { promise: true } }).then(
      () => { if (mine !== generation) return; armedAt = Infinity; fire(); },
      () => {},
    );
  };
  const sleep = (argsJson) => {
    let ms = 0;
    try { ms = Number(parse(argsJson)[0]) || 0; } catch {}
    ms = Math.max(0, Math.min(ms, ${MAX_TIMER_MS}));
    return new Promise((resolve) => {
      push({ at: now() + ms, seq: ++sequence, resolve });
      // One host crossing per batch of timers set in the same turn, not one per timer.
      if (!armQueued) { armQueued = true; Promise.resolve().then(arm); }
    });
  };

  // Host calls: at most maxPendingCalls / maxPendingBytes in flight, of which at most
  // maxPendingStoreCalls database-backed ones; the rest wait here, in the isolate's heap, in call
  // order per lane (network calls are throttled further by the proxy's per-connection limiter).
  const lanes = { network: { waiting: [], head: 0, inFlight: 0 }, store: { waiting: [], head: 0, inFlight: 0 } };
  const networkOps = new Set(${JSON.stringify(NETWORK_OPERATIONS)});
  const laneOf = (op) => (networkOps.has(op) ? lanes.network : lanes.store);
  let inFlight = 0;
  let inFlightBytes = 0;
  const pumpLane = (lane, max) => {
    while (lane.head < lane.waiting.length && inFlight < limits.maxPendingCalls && lane.inFlight < max) {
      const next = lane.waiting[lane.head];
      if (inFlight > 0 && inFlightBytes + next.json.length > limits.maxPendingBytes) break;
      lane.waiting[lane.head++] = undefined;
      if (lane.head > 1024 && lane.head * 2 > lane.waiting.length) { lane.waiting.splice(0, lane.head); lane.head = 0; }
      inFlight += 1;
      lane.inFlight += 1;
      inFlightBytes += next.json.length;
      const settle = () => { inFlight -= 1; lane.inFlight -= 1; inFlightBytes -= next.json.length; pump(); };
      rawCall.apply(undefined, [next.op, next.json], callOptions).then(
        (value) => { settle(); next.resolve(value); },
        (error) => { settle(); next.reject(error); },
      );
    }
  };
  const pump = () => {
    pumpLane(lanes.store, limits.maxPendingStoreCalls);
    pumpLane(lanes.network, limits.maxPendingCalls);
  };
  const guardedCall = {
    apply(_self, args) {
      const op = String(args[0]);
      const json = typeof args[1] === 'string' ? args[1] : stringify(args[1] === undefined ? [] : args[1]);
      if (op === 'sleep') return sleep(json);
      return new Promise((resolve, reject) => {
        laneOf(op).waiting.push({ op, json, resolve, reject });
        pump();
      });
    },
  };

  // Logs: counted and cut here, so a dropped or oversized line is never copied to the host.
  let lines = 0;
  let dropped = 0;
  const guardedLog = {
    applyIgnored(_self, args) {
      if (lines >= limits.maxLogLines) { dropped += 1; return; }
      lines += 1;
      const message = String(args[1]);
      rawLog.applyIgnored(undefined, [String(args[0]).slice(0, 16), message.length > limits.maxLogChars ? message.slice(0, limits.maxLogChars) : message], { arguments: { copy: true } });
    },
  };

  globalThis.__hostCall = guardedCall;
  globalThis.__hostLog = guardedLog;
  return () => stringify({ logsDropped: dropped, logsSent: lines, timers: heap.length, waitingCalls: lanes.network.waiting.length - lanes.network.head + lanes.store.waiting.length - lanes.store.head });
`;
