import { Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import type { BufferedBody } from './buffered-request.js';

export type ResponseType = 'json' | 'text' | 'arraybuffer' | 'stream';

// Values stay strings: blob and container names like "000123" must not become numbers.
const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/** The decompressor for a Content-Encoding Weft undoes (only present when a script asked for it with Accept-Encoding). */
export function decoderFor(encoding: string | undefined): Transform | undefined {
  switch ((encoding ?? '').toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/** Undo Content-Encoding (only present when a script asked for it with Accept-Encoding). */
export function decoded(body: Readable, encoding: string | undefined): Readable {
  const decoder = decoderFor(encoding);
  return decoder === undefined ? body : body.pipe(decoder);
}

/** A body read whole but encoded: its decoded bytes as a stream for parseBody, or undefined when Weft does not undo `encoding`. */
export function decodedBuffered(body: BufferedBody, encoding: string): Readable | undefined {
  const decoder = decoderFor(encoding);
  return decoder === undefined ? undefined : Readable.from(body.chunks, { objectMode: false }).pipe(decoder);
}

async function readAll(body: Readable): Promise<Buffer> {
  // undici's body reader collects far faster than async iteration (measured: bench/proxy).
  const fast = body as Readable & { arrayBuffer?: () => Promise<ArrayBuffer> };
  if (typeof fast.arrayBuffer === 'function') return Buffer.from(await fast.arrayBuffer());
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function readText(body: Readable): Promise<string> {
  // undici decodes its collected chunks in one step, about half the cost of bytes → string here.
  const fast = body as Readable & { text?: () => Promise<string> };
  if (typeof fast.text === 'function') return fast.text();
  return readAll(body).then((bytes) => bytes.toString('utf8'));
}

/**
 * The response body as scripts expect it (axios semantics): JSON parsed when it is JSON, XML
 * parsed to an object (Azure Storage answers XML), text otherwise; `arraybuffer` → Buffer,
 * `stream` → the live stream (never buffered: large downloads keep memory flat).
 */
export function parseBody(
  body: Readable,
  contentType: string | undefined,
  responseType: ResponseType,
): Promise<unknown> {
  if (responseType === 'stream') return Promise.resolve(body);
  if (responseType === 'arraybuffer') return readAll(body);
  // One promise per body, not an async wrapper around another (bench/proxy's profile counts ticks).
  return readText(body).then((text) => parseText(text, contentType, responseType));
}

/**
 * A body read whole (see buffered-request.ts), as parseBody would give it, without a stream or a
 * promise: text decoded as undici's body.text() does (UTF-8, a leading BOM skipped), `arraybuffer`
 * copied into memory of its own (never a view of a shared pool slab or of the socket's buffer).
 */
export function parseBuffered(
  body: BufferedBody,
  contentType: string | undefined,
  responseType: ResponseType,
): unknown {
  const { chunks, length } = body;
  if (responseType === 'stream') return Readable.from(chunks, { objectMode: false });
  if (responseType === 'arraybuffer') {
    const bytes = Buffer.allocUnsafeSlow(length);
    let offset = 0;
    for (const chunk of chunks) offset += chunk.copy(bytes, offset);
    return bytes;
  }
  if (length === 0) return parseText('', contentType, responseType);
  const buffer = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  const start = length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return parseText(buffer.toString('utf8', start, length), contentType, responseType);
}

function parseText(text: string, contentType: string | undefined, responseType: ResponseType): unknown {
  if (responseType === 'text') return text;
  const type = (contentType ?? '').toLowerCase();
  if (text.length === 0) return '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type.includes('xml')) return xml.parse(text) as unknown;
  // axios also tries JSON on text answers.
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
