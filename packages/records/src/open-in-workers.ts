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
const keys = new Map(workerData.keys.map(([id, key]) => [id, createSecretKey(Buffer.from(key))]));
const HEAD = ${1 + 'weft:r1:'.length + 9};
parentPort.on('message', ({ id, sealed }) => {
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
  /**
   * Each sealed payload's JSON as UTF-8, in order; undefined when a worker could not open them.
   * `openHere` opens a share of the page on the calling thread meanwhile (it throws the usual
   * error for a payload it cannot open).
   */
  open(sealed: readonly string[], openHere?: (sealed: string) => Buffer): Promise<Buffer[] | undefined>;
}

interface Pending {
  resolve(value: Buffer[] | undefined): void;
}

export function createPayloadOpeners(keys: readonly (readonly [string, Buffer])[]): PayloadOpeners {
  // As many workers as cores (up to 4), not one fewer: the calling thread mostly waits for the
  // database and the socket, and on 2 cores two workers opened pages ~20 % faster than one
  // (bench/records, read_api_encrypted, same run).
  const size = Math.max(1, Math.min(4, availableParallelism()));
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let turn = 0;

  function worker(): Worker {
    if (workers.length < size) {
      const created = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { keys: keys.map(([id, key]) => [id, new Uint8Array(key)]) },
      });
      // Idle workers never keep the process alive.
      created.unref();
      created.on('message', (message: { id: number; bytes?: Uint8Array; ends?: Int32Array; failed?: true }) => {
        const waiting = pending.get(message.id);
        if (waiting === undefined) return;
        pending.delete(message.id);
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
      });
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
  function openChunk(sealed: readonly string[]): Promise<Buffer[] | undefined> {
    const id = nextId++;
    const target = worker();
    // While a worker has work it keeps the process alive, or an awaited page would never arrive.
    if (inFlight++ === 0) for (const w of workers) w.ref();
    target.ref();
    return new Promise<Buffer[] | undefined>((resolve) => {
      pending.set(id, { resolve });
      target.postMessage({ id, sealed });
    }).finally(() => {
      if (--inFlight === 0) for (const w of workers) w.unref();
    });
  }

  return {
    async open(sealed, openHere) {
      // One chunk per worker, plus one this thread opens itself while the workers run: it would
      // otherwise sit idle awaiting them (another ~15 % on 2 cores, measured as above).
      const shares = size + (openHere === undefined ? 0 : 1);
      const chunks = Math.min(shares, Math.ceil(sealed.length / WORKER_MIN_PAYLOADS));
      const per = Math.ceil(sealed.length / chunks);
      const sent = openHere === undefined ? chunks : chunks - 1;
      const parts = Array.from({ length: sent }, (_, i) => openChunk(sealed.slice(i * per, (i + 1) * per)));
      const here = openHere === undefined ? [] : sealed.slice(sent * per).map(openHere);
      const opened = await Promise.all(parts);
      if (opened.some((part) => part === undefined)) return undefined;
      return [...(opened as Buffer[][]).flat(), ...here];
    },
  };
}
