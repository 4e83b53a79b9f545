import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Opening sealed payloads off the event loop. A records page of 1,000 sealed payloads costs
 * ~10 ms of AES-GCM set-up per page on the thread that does it (createDecipheriv, base64,
 * update/final: ~10 µs a record, most of it per-call overhead, not the cipher), against ~1 µs a
 * record for a plain payload. Done by worker threads, that cost runs beside the event loop (which
 * meanwhile sends the previous page and reads the next rows), and the process gets CPU time on
 * more than one core.
 *
 * The workers are plain JavaScript evaluated from this string (no loader, no build step) and use
 * only node:crypto. They hold the records keys, like the main thread does. A worker answers one
 * Buffer with every payload's JSON back to back and their end offsets, transferred, not copied.
 * Anything unexpected (a key it does not know, a tag that does not verify) comes back as a
 * failure and the caller opens the page itself, which raises the usual error for the record.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createDecipheriv, createSecretKey } = require('node:crypto');
const { createCipheriv, hash, randomFillSync } = require('node:crypto');
const keys = new Map(workerData.keys.map(([id, key]) => [id, createSecretKey(Buffer.from(key))]));
const HEAD = ${1 + 'weft:r1:'.length + 9};
const current = keys.get(workerData.currentId);
const head = '"weft:r1:' + workerData.currentId + ':';
const ivPool = Buffer.alloc(12 * 4096);
let ivAt = ivPool.length;
function seal(json) {
  if (ivAt >= ivPool.length) {
    randomFillSync(ivPool);
    ivAt = 0;
  }
  const iv = ivPool.subarray(ivAt, ivAt + 12);
  ivAt += 12;
  const cipher = createCipheriv('aes-256-gcm', current, iv);
  const body = cipher.update(json, 'utf8');
  cipher.final();
  return head + iv.toString('base64') + cipher.getAuthTag().toString('base64') + body.toString('base64') + '"';
}
parentPort.on('message', ({ id, sealed, copyIds, jsons }) => {
  if (jsons !== undefined) {
    try {
      let text = '';
      for (let i = 0; i < jsons.length; i++)
        text += copyIds[i] + '\t' + seal(jsons[i]) + '\t' + hash('sha256', workerData.hashPrefix + jsons[i], 'base64') + '\n';
      parentPort.postMessage({ id, text });
    } catch {
      parentPort.postMessage({ id, failed: true });
    }
    return;
  }
  try {
    const parts = new Array(sealed.length);
    let total = 0;
    for (let i = 0; i < sealed.length; i++) {
      const s = sealed[i];
      const key = keys.get(s.slice(9, 17));
      if (key === undefined) throw new Error('unknown key');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(s.slice(HEAD, HEAD + 16), 'base64'));
      decipher.setAuthTag(Buffer.from(s.slice(HEAD + 16, HEAD + 40), 'base64'));
      const text = decipher.update(Buffer.from(s.slice(HEAD + 40, -1), 'base64'));
      decipher.final();
      parts[i] = text;
      total += text.length;
    }
    const bytes = Buffer.allocUnsafeSlow(total);
    const ends = new Int32Array(sealed.length);
    let at = 0;
    for (let i = 0; i < parts.length; i++) {
      at += parts[i].copy(bytes, at);
      ends[i] = at;
    }
    parentPort.postMessage({ id, bytes, ends }, [bytes.buffer, ends.buffer]);
  } catch {
    parentPort.postMessage({ id, failed: true });
  }
});
`;

/** Below this many payloads a page is opened on the calling thread: the hop costs more. */
export const WORKER_MIN_PAYLOADS = 64;

export interface PayloadOpeners {
  /** Each sealed payload's JSON as UTF-8, in order; undefined when a worker could not open them. */
  open(sealed: readonly string[]): Promise<Buffer[] | undefined>;
  /**
   * COPY text lines `<id>\t<sealed payload>\t<keyed hash>\n` for canonical JSON texts (ids
   * already COPY-escaped), sealed with the current key; undefined when a worker failed.
   */
  sealCopyRows(copyIds: readonly string[], jsons: readonly string[]): Promise<string | undefined>;
}

interface Pending {
  resolve(value: unknown): void;
}

export interface WorkerKeys {
  /** Every key by id (the current one and those of earlier rotations). */
  keys: readonly (readonly [string, Buffer])[];
  currentId: string;
  /** Secret prefix of the keyed content hash. */
  hashPrefix: string;
}

export function createPayloadOpeners(setup: WorkerKeys): PayloadOpeners {
  const { keys } = setup;
  const size = Math.max(1, Math.min(4, availableParallelism() - 1));
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let turn = 0;

  function worker(): Worker {
    if (workers.length < size) {
      const created = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          keys: keys.map(([id, key]) => [id, new Uint8Array(key)]),
          currentId: setup.currentId,
          hashPrefix: setup.hashPrefix,
        },
      });
      // Idle workers never keep the process alive.
      created.unref();
      created.on(
        'message',
        (message: { id: number; bytes?: Uint8Array; ends?: Int32Array; text?: string; failed?: true }) => {
          const waiting = pending.get(message.id);
          if (waiting === undefined) return;
          pending.delete(message.id);
          if (message.text !== undefined) {
            waiting.resolve(message.text);
            return;
          }
          if (message.failed || message.bytes === undefined || message.ends === undefined) {
            waiting.resolve(undefined);
            return;
          }
          const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
          const out: Buffer[] = new Array(message.ends.length);
          let start = 0;
          for (let i = 0; i < message.ends.length; i++) {
            const end = message.ends[i] as number;
            out[i] = bytes.subarray(start, end);
            start = end;
          }
          waiting.resolve(out);
        },
      );
      // A worker that dies fails what it was given (the caller opens those itself) and is replaced.
      const fail = () => {
        const at = workers.indexOf(created);
        if (at >= 0) workers.splice(at, 1);
        for (const [id, waiting] of pending) {
          pending.delete(id);
          waiting.resolve(undefined);
        }
      };
      created.on('error', fail);
      created.on('exit', fail);
      workers.push(created);
      return created;
    }
    turn = (turn + 1) % workers.length;
    return workers[turn] as Worker;
  }

  let inFlight = 0;
  function send<T>(message: object): Promise<T | undefined> {
    const id = nextId++;
    const target = worker();
    // While a worker has work it keeps the process alive, or an awaited page would never arrive.
    if (inFlight++ === 0) for (const w of workers) w.ref();
    target.ref();
    return new Promise<T | undefined>((resolve) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void });
      target.postMessage({ id, ...message });
    }).finally(() => {
      if (--inFlight === 0) for (const w of workers) w.unref();
    });
  }
  const openChunk = (sealed: readonly string[]) => send<Buffer[]>({ sealed });

  /** One chunk per worker, so a batch uses every worker at once. */
  function split(length: number): [number, number][] {
    const chunks = Math.max(1, Math.min(size, Math.ceil(length / WORKER_MIN_PAYLOADS)));
    const per = Math.ceil(length / chunks);
    return Array.from({ length: chunks }, (_, i) => [i * per, Math.min(length, (i + 1) * per)]);
  }

  return {
    async open(sealed) {
      const parts = await Promise.all(split(sealed.length).map(([from, to]) => openChunk(sealed.slice(from, to))));
      if (parts.some((part) => part === undefined)) return undefined;
      return (parts as Buffer[][]).flat();
    },
    async sealCopyRows(copyIds, jsons) {
      const parts = await Promise.all(
        split(jsons.length).map(([from, to]) =>
          send<string>({ copyIds: copyIds.slice(from, to), jsons: jsons.slice(from, to) }),
        ),
      );
      if (parts.some((part) => part === undefined)) return undefined;
      return parts.join('');
    },
  };
}
