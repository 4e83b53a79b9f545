/**
 * The part of Node's `crypto` Nango scripts use (Nango's runner lets them `require('crypto')`):
 * `createHash` / `createHmac` for md5, sha1 and sha256 with `update(...)` and `digest(encoding)`,
 * `randomUUID`, `randomBytes`, `getRandomValues`, `timingSafeEqual`; and the global `crypto` with
 * `randomUUID` / `getRandomValues`. Pure JavaScript in the isolate, evaluated after
 * sandbox-globals (it uses its Buffer and TextEncoder).
 *
 * Randomness comes from the isolate's Math.random (V8's generator, seeded per isolate): fine for
 * ids and nonces a provider asks for, not for keys — say so in the README's known differences.
 */
export const SANDBOX_CRYPTO = `
(() => {
  const toBytes = (data, encoding) => {
    if (typeof data === 'string') return Buffer.from(data, encoding || 'utf8');
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
  };
  const concat = (chunks) => {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.length; }
    return out;
  };
  // Merkle–Damgård padding with the bit length in 8 bytes (big-endian, or little-endian for md5).
  const pad = (bytes, littleEndian) => {
    const bitLength = bytes.length * 8;
    const padded = new Uint8Array(((bytes.length + 8) >> 6) * 64 + 64);
    padded.set(bytes);
    padded[bytes.length] = 0x80;
    const view = new DataView(padded.buffer);
    const high = Math.floor(bitLength / 0x100000000);
    const low = bitLength >>> 0;
    if (littleEndian) { view.setUint32(padded.length - 8, low, true); view.setUint32(padded.length - 4, high, true); }
    else { view.setUint32(padded.length - 8, high); view.setUint32(padded.length - 4, low); }
    return view;
  };
  const rotl = (x, n) => (x << n) | (x >>> (32 - n));
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));

  const sha256K = [];
  for (let i = 0, n = 2; i < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
    if (prime) { sha256K.push((Math.cbrt(n) % 1) * 0x100000000 >>> 0); i++; }
  }
  const sha256 = (bytes) => {
    const view = pad(bytes, false);
    const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    const w = new Uint32Array(64);
    for (let off = 0; off < view.byteLength; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
      for (let i = 16; i < 64; i++) {
        const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      let [a, b, c, d, e, f, g, k] = h;
      for (let i = 0; i < 64; i++) {
        const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256K[i] + w[i]) | 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
    }
    const out = new DataView(new ArrayBuffer(32));
    h.forEach((v, i) => out.setUint32(i * 4, v));
    return new Uint8Array(out.buffer);
  };
  const sha1 = (bytes) => {
    const view = pad(bytes, false);
    const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
    const w = new Uint32Array(80);
    for (let off = 0; off < view.byteLength; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
      for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
      let [a, b, c, d, e] = h;
      for (let i = 0; i < 80; i++) {
        const [f, k] = i < 20 ? [(b & c) | (~b & d), 0x5a827999] : i < 40 ? [b ^ c ^ d, 0x6ed9eba1] : i < 60 ? [(b & c) | (b & d) | (c & d), 0x8f1bbcdc] : [b ^ c ^ d, 0xca62c1d6];
        const t = (rotl(a, 5) + f + e + k + w[i]) | 0;
        e = d; d = c; c = rotl(b, 30); b = a; a = t;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0; h[4] = (h[4] + e) | 0;
    }
    const out = new DataView(new ArrayBuffer(20));
    h.forEach((v, i) => out.setUint32(i * 4, v));
    return new Uint8Array(out.buffer);
  };
  const md5S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  const md5K = Array.from({ length: 64 }, (_, i) => (Math.abs(Math.sin(i + 1)) * 0x100000000) >>> 0);
  const md5 = (bytes) => {
    const view = pad(bytes, true);
    const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for (let off = 0; off < view.byteLength; off += 64) {
      const m = [];
      for (let i = 0; i < 16; i++) m.push(view.getUint32(off + i * 4, true));
      let [a, b, c, d] = h;
      for (let i = 0; i < 64; i++) {
        const round = i >> 4;
        const f = round === 0 ? (b & c) | (~b & d) : round === 1 ? (d & b) | (~d & c) : round === 2 ? b ^ c ^ d : c ^ (b | ~d);
        const g = round === 0 ? i : round === 1 ? (5 * i + 1) % 16 : round === 2 ? (3 * i + 5) % 16 : (7 * i) % 16;
        const t = d; d = c; c = b;
        b = (b + rotl((a + f + md5K[i] + m[g]) | 0, md5S[round * 4 + (i % 4)])) | 0;
        a = t;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
    }
    const out = new DataView(new ArrayBuffer(16));
    h.forEach((v, i) => out.setUint32(i * 4, v, true));
    return new Uint8Array(out.buffer);
  };
  const HASHES = { md5: [md5, 64], sha1: [sha1, 64], sha256: [sha256, 64] };
  const hashOf = (algorithm) => {
    const entry = HASHES[String(algorithm).toLowerCase().replace('-', '')];
    if (!entry) throw new Error('Digest method not supported: ' + algorithm + ' (the sandbox has md5, sha1, sha256)');
    return entry;
  };

  class Hash {
    constructor(fn) { this._fn = fn; this._chunks = []; this._done = false; }
    update(data, encoding) {
      if (this._done) throw new Error('Digest already called');
      this._chunks.push(toBytes(data, encoding));
      return this;
    }
    digest(encoding) {
      if (this._done) throw new Error('Digest already called');
      this._done = true;
      const out = Buffer.from(this._fn(concat(this._chunks)));
      return encoding ? out.toString(encoding) : out;
    }
  }
  const createHash = (algorithm) => new Hash(hashOf(algorithm)[0]);
  const createHmac = (algorithm, key) => {
    const [fn, block] = hashOf(algorithm);
    let k = toBytes(key);
    if (k.length > block) k = fn(k);
    const inner = new Uint8Array(block);
    const outer = new Uint8Array(block);
    for (let i = 0; i < block; i++) { inner[i] = (k[i] || 0) ^ 0x36; outer[i] = (k[i] || 0) ^ 0x5c; }
    return new Hash((message) => fn(concat([outer, fn(concat([inner, message]))])));
  };

  const getRandomValues = (array) => {
    if (!ArrayBuffer.isView(array)) throw new TypeError('The data argument must be an integer-type TypedArray');
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    if (bytes.length > 65536) throw new Error('The ArrayBufferView byte length exceeds 65536');
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return array;
  };
  const randomBytes = (size) => Buffer.from(getRandomValues(new Uint8Array(Number(size))));
  const randomUUID = () => {
    const b = getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Buffer.from(b).toString('hex');
    return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
  };
  const timingSafeEqual = (a, b) => {
    if (a.byteLength !== b.byteLength) throw new RangeError('Input buffers must have the same byte length');
    const x = toBytes(a); const y = toBytes(b);
    let diff = 0;
    for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
    return diff === 0;
  };

  const nodeCrypto = Object.freeze({ createHash, createHmac, randomBytes, randomUUID, getRandomValues, timingSafeEqual });
  const webCrypto = { randomUUID, getRandomValues };
  Object.defineProperty(webCrypto, Symbol.for('weft.node-crypto'), { value: nodeCrypto });
  Object.defineProperty(globalThis, 'crypto', { value: Object.freeze(webCrypto), writable: true, configurable: true, enumerable: false });
})();
`;
