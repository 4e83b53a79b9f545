// Types of the globals scripts get in Weft's sandbox (packages/runner/src/sandbox-globals.ts and
// the prelude's timers): the set Nango's runner gives scripts (Buffer, setTimeout, URL,
// URLSearchParams, console) plus TextEncoder/TextDecoder, atob/btoa and structuredClone. Added to
// every script type-check; kept outside src/ so the repository's own Node types never meet it.

interface URLSearchParams {
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(callbackfn: (value: string, key: string, parent: URLSearchParams) => void, thisArg?: unknown): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  toString(): string;
}
declare var URLSearchParams: {
  prototype: URLSearchParams;
  new (
    init?: string[][] | Record<string, string> | string | URLSearchParams | Iterable<[string, string]>,
  ): URLSearchParams;
};

interface URL {
  hash: string;
  host: string;
  hostname: string;
  href: string;
  readonly origin: string;
  password: string;
  pathname: string;
  port: string;
  protocol: string;
  search: string;
  readonly searchParams: URLSearchParams;
  username: string;
  toString(): string;
  toJSON(): string;
}
declare var URL: {
  prototype: URL;
  new (url: string | URL, base?: string | URL): URL;
  canParse(url: string | URL, base?: string | URL): boolean;
  parse(url: string | URL, base?: string | URL): URL | null;
};

interface TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare var TextEncoder: { prototype: TextEncoder; new (): TextEncoder };

interface TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}
declare var TextDecoder: {
  prototype: TextDecoder;
  new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder;
};

declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function structuredClone<T>(value: T): T;
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number;
declare function clearTimeout(id: number | undefined): void;
declare function queueMicrotask(callback: () => void): void;

interface Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
  trace(...data: unknown[]): void;
}
declare var console: Console;

type BufferEncoding =
  | 'utf8'
  | 'utf-8'
  | 'hex'
  | 'base64'
  | 'base64url'
  | 'latin1'
  | 'binary'
  | 'ascii'
  | 'utf16le'
  | 'ucs2'
  | 'ucs-2'
  | 'utf-16le';
interface Buffer extends Uint8Array<ArrayBuffer> {
  toString(encoding?: BufferEncoding, start?: number, end?: number): string;
  toJSON(): { type: 'Buffer'; data: number[] };
  equals(other: Uint8Array): boolean;
  compare(other: Uint8Array): number;
  slice(start?: number, end?: number): Buffer;
  subarray(start?: number, end?: number): Buffer;
  write(string: string, offset?: number, length?: number, encoding?: BufferEncoding): number;
  copy(target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number): number;
  indexOf(value: string | number | Uint8Array, byteOffset?: number, encoding?: BufferEncoding): number;
  includes(value: string | number | Uint8Array, byteOffset?: number, encoding?: BufferEncoding): boolean;
  fill(value: string | number, offset?: number, end?: number, encoding?: BufferEncoding): this;
  readUInt8(offset?: number): number;
  readUInt16LE(offset?: number): number;
  readUInt16BE(offset?: number): number;
  readUInt32LE(offset?: number): number;
  readUInt32BE(offset?: number): number;
  readInt32LE(offset?: number): number;
  readInt32BE(offset?: number): number;
  writeUInt8(value: number, offset?: number): number;
  writeUInt32LE(value: number, offset?: number): number;
  writeUInt32BE(value: number, offset?: number): number;
}
declare var Buffer: {
  prototype: Buffer;
  from(value: string, encoding?: BufferEncoding): Buffer;
  from(value: ArrayBuffer, byteOffset?: number, length?: number): Buffer;
  from(value: ArrayLike<number> | Uint8Array | { type: 'Buffer'; data: number[] }): Buffer;
  alloc(size: number, fill?: string | number, encoding?: BufferEncoding): Buffer;
  allocUnsafe(size: number): Buffer;
  isBuffer(value: unknown): value is Buffer;
  isEncoding(encoding: string): encoding is BufferEncoding;
  byteLength(value: string | ArrayBuffer | ArrayBufferView, encoding?: BufferEncoding): number;
  concat(list: readonly Uint8Array[], totalLength?: number): Buffer;
  compare(a: Uint8Array, b: Uint8Array): number;
};

declare module 'url' {
  export const URL: typeof globalThis.URL;
  export const URLSearchParams: typeof globalThis.URLSearchParams;
}
declare module 'node:url' {
  // biome-ignore lint/style/useNodejsImportProtocol: declares the bare specifier's twin
  export * from 'url';
}
declare module 'buffer' {
  export const Buffer: typeof globalThis.Buffer;
}
declare module 'node:buffer' {
  // biome-ignore lint/style/useNodejsImportProtocol: declares the bare specifier's twin
  export * from 'buffer';
}

interface WeftHash {
  update(data: string | Uint8Array | ArrayBuffer, inputEncoding?: BufferEncoding): WeftHash;
  digest(): Buffer;
  digest(encoding: BufferEncoding): string;
}
declare var crypto: {
  randomUUID(): string;
  getRandomValues<T extends ArrayBufferView>(array: T): T;
};
declare module 'crypto' {
  export function createHash(algorithm: 'md5' | 'sha1' | 'sha256' | (string & {})): WeftHash;
  export function createHmac(algorithm: 'md5' | 'sha1' | 'sha256' | (string & {}), key: string | Uint8Array): WeftHash;
  export function randomBytes(size: number): Buffer;
  export function randomUUID(): string;
  export function getRandomValues<T extends ArrayBufferView>(array: T): T;
  export function timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean;
  const crypto: {
    createHash: typeof createHash;
    createHmac: typeof createHmac;
    randomBytes: typeof randomBytes;
    randomUUID: typeof randomUUID;
    getRandomValues: typeof getRandomValues;
    timingSafeEqual: typeof timingSafeEqual;
  };
  export default crypto;
}
declare module 'node:crypto' {
  // biome-ignore lint/style/useNodejsImportProtocol: declares the bare specifier's twin
  export * from 'crypto';
  // biome-ignore lint/style/useNodejsImportProtocol: declares the bare specifier's twin
  export { default } from 'crypto';
}
