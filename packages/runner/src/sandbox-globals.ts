/**
 * The globals Nango's runner gives scripts besides the ECMAScript built-ins, implemented in pure
 * JavaScript inside the isolate: Nango's runner (packages/runner/lib/exec.ts) puts `Buffer`,
 * `setTimeout`, `URL` and `URLSearchParams` into its vm context and lets scripts `require('url')`
 * and `require('buffer')`-style modules; scripts written for Node also reach for `TextEncoder`,
 * `TextDecoder`, `atob`, `btoa` and `structuredClone`, which cost nothing to provide alongside.
 * (`setTimeout` / `clearTimeout` live in the prelude: they wait on the host.)
 *
 * Nothing here touches a host object: every value is created in the isolate, so a script that
 * tampers with these classes only hurts itself. Known differences from Node: hostnames are
 * lower-cased but not IDNA/punycode-converted, `Buffer` implements the common subset (see the
 * README "Coming from Nango" section), and `TextDecoder` decodes UTF-8 (and latin1) only.
 *
 * Kept as a string (it runs in V8 without Node), evaluated before the prelude in every isolate and
 * in the one that reads a script's definition, so top-level uses work there too.
 */
export const SANDBOX_GLOBALS = String.raw`
(() => {
  const define = (name, value) => Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });

  // ---- UTF-8 -------------------------------------------------------------------------------
  const utf8Encode = (input) => {
    const str = String(input);
    const out = [];
    for (let i = 0; i < str.length; i++) {
      let c = str.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
        const d = str.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
        else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  };
  const utf8Decode = (bytes, fatal) => {
    let out = '';
    const chunk = [];
    const flush = () => { out += String.fromCharCode.apply(null, chunk); chunk.length = 0; };
    const bad = () => { if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8'); return 0xfffd; };
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i];
      let c; let need = 0; let min = 0;
      if (b < 0x80) { c = b; }
      else if (b >= 0xc2 && b <= 0xdf) { c = b & 31; need = 1; min = 0x80; }
      else if (b >= 0xe0 && b <= 0xef) { c = b & 15; need = 2; min = 0x800; }
      else if (b >= 0xf0 && b <= 0xf4) { c = b & 7; need = 3; min = 0x10000; }
      else { c = bad(); i++; chunk.push(c); if (chunk.length > 8000) flush(); continue; }
      let j = 1;
      for (; j <= need; j++) {
        const n = bytes[i + j];
        if (n === undefined || (n & 0xc0) !== 0x80) break;
        c = (c << 6) | (n & 63);
      }
      if (j <= need || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) { c = bad(); i += Math.max(1, j); }
      else i += need + 1;
      if (c >= 0x10000) { c -= 0x10000; chunk.push(0xd800 + (c >> 10), 0xdc00 + (c & 1023)); }
      else chunk.push(c);
      if (chunk.length > 8000) flush();
    }
    flush();
    return out;
  };
  const toBytes = (source) => {
    if (source === undefined) return new Uint8Array(0);
    if (source instanceof ArrayBuffer) return new Uint8Array(source);
    if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView');
  };

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return utf8Encode(input); }
    encodeInto(input, dest) {
      const bytes = utf8Encode(input);
      const n = Math.min(bytes.length, dest.length);
      dest.set(bytes.subarray(0, n));
      return { read: String(input).length, written: n };
    }
  }
  class TextDecoder {
    constructor(label = 'utf-8', options = {}) {
      const l = String(label).trim().toLowerCase();
      if (l === 'utf-8' || l === 'utf8' || l === 'unicode-1-1-utf-8') this._enc = 'utf-8';
      else if (l === 'latin1' || l === 'iso-8859-1' || l === 'ascii' || l === 'us-ascii' || l === 'windows-1252') this._enc = 'windows-1252';
      else throw new RangeError('The "' + label + '" encoding is not supported');
      this._fatal = !!(options && options.fatal);
      this._ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return this._enc; }
    get fatal() { return this._fatal; }
    get ignoreBOM() { return this._ignoreBOM; }
    decode(input) {
      let bytes = toBytes(input);
      if (this._enc !== 'utf-8') return latin1Decode(bytes);
      if (!this._ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
      return utf8Decode(bytes, this._fatal);
    }
  }
  const latin1Decode = (bytes) => {
    let out = '';
    for (let i = 0; i < bytes.length; i += 8000) out += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 8000)));
    return out;
  };

  // ---- base64 ------------------------------------------------------------------------------
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const B64_INDEX = {};
  for (let i = 0; i < 64; i++) B64_INDEX[B64[i]] = i;
  B64_INDEX['-'] = 62; B64_INDEX._ = 63;
  const base64Encode = (bytes, url) => {
    let out = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const a = bytes[i]; const b = bytes[i + 1]; const c = bytes[i + 2];
      out += B64[a >> 2] + B64[((a & 3) << 4) | ((b || 0) >> 4)];
      out += b === undefined ? (url ? '' : '=') : B64[((b & 15) << 2) | ((c || 0) >> 6)];
      out += c === undefined ? (url ? '' : '=') : B64[c & 63];
    }
    return url ? out.replace(/\+/g, '-').replace(/\//g, '_') : out;
  };
  // Lenient like Node's Buffer.from(x, 'base64'): skips whitespace and unknown characters, stops at '='.
  const base64Decode = (str) => {
    const out = [];
    let acc = 0; let bits = 0;
    for (let i = 0; i < str.length; i++) {
      const ch = str[i];
      if (ch === '=') break;
      const v = B64_INDEX[ch];
      if (v === undefined) continue;
      acc = (acc << 6) | v; bits += 6;
      if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 255); }
    }
    return new Uint8Array(out);
  };
  const invalidCharacter = (what) => { const e = new Error(what); e.name = 'InvalidCharacterError'; return e; };
  const btoa = (input) => {
    const str = String(input);
    const bytes = new Uint8Array(str.length);
    for (let i = 0; i < str.length; i++) {
      const c = str.charCodeAt(i);
      if (c > 255) throw invalidCharacter('Invalid character');
      bytes[i] = c;
    }
    return base64Encode(bytes, false);
  };
  const atob = (input) => {
    let str = String(input).replace(/[\t\n\f\r ]/g, '');
    if (str.length % 4 === 0) str = str.replace(/==?$/, '');
    if (str.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(str)) throw invalidCharacter('The string to be decoded is not correctly encoded.');
    return latin1Decode(base64Decode(str));
  };

  // ---- Buffer (the subset of Node's Buffer scripts use) -------------------------------------
  const normEncoding = (enc) => {
    const e = String(enc === undefined || enc === null ? 'utf8' : enc).toLowerCase();
    switch (e) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'hex': return 'hex';
      case 'base64': return 'base64';
      case 'base64url': return 'base64url';
      case 'latin1': case 'binary': return 'latin1';
      case 'ascii': return 'ascii';
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
      default: throw new TypeError('Unknown encoding: ' + enc);
    }
  };
  const encodeString = (str, enc) => {
    switch (normEncoding(enc)) {
      case 'utf8': return utf8Encode(str);
      case 'hex': {
        const out = [];
        for (let i = 0; i + 1 < str.length; i += 2) {
          const v = parseInt(str.slice(i, i + 2), 16);
          if (Number.isNaN(v)) break;
          out.push(v);
        }
        return new Uint8Array(out);
      }
      case 'base64': case 'base64url': return base64Decode(str);
      case 'latin1': case 'ascii': {
        const out = new Uint8Array(str.length);
        for (let i = 0; i < str.length; i++) out[i] = str.charCodeAt(i) & 255;
        return out;
      }
      case 'utf16le': {
        const out = new Uint8Array(str.length * 2);
        for (let i = 0; i < str.length; i++) { const c = str.charCodeAt(i); out[i * 2] = c & 255; out[i * 2 + 1] = c >> 8; }
        return out;
      }
    }
  };
  const decodeBytes = (bytes, enc) => {
    switch (normEncoding(enc)) {
      case 'utf8': return utf8Decode(bytes, false);
      case 'hex': { let s = ''; for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16); return s; }
      case 'base64': return base64Encode(bytes, false);
      case 'base64url': return base64Encode(bytes, true);
      case 'latin1': return latin1Decode(bytes);
      case 'ascii': return latin1Decode(bytes.map((b) => b & 127));
      case 'utf16le': { let s = ''; for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8)); return s; }
    }
  };

  class Buffer extends Uint8Array {
    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') return Buffer._wrap(encodeString(value, encodingOrOffset));
      if (value instanceof ArrayBuffer) {
        const offset = encodingOrOffset === undefined ? 0 : Number(encodingOrOffset);
        return new Buffer(value, offset, length === undefined ? value.byteLength - offset : Number(length));
      }
      if (ArrayBuffer.isView(value)) return Buffer._wrap(new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice());
      if (Array.isArray(value)) return Buffer._wrap(Uint8Array.from(value, (v) => Number(v) & 255));
      if (value && value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
      if (value && typeof value.length === 'number') return Buffer._wrap(Uint8Array.from(Array.prototype.slice.call(value), (v) => Number(v) & 255));
      throw new TypeError('The first argument must be of type string, Buffer, ArrayBuffer, Array, or Array-like Object.');
    }
    static _wrap(bytes) { return new Buffer(bytes.buffer, bytes.byteOffset, bytes.byteLength); }
    static alloc(size, fill, encoding) {
      const b = new Buffer(Number(size));
      if (fill !== undefined) b.fill(fill, 0, b.length, encoding);
      return b;
    }
    static allocUnsafe(size) { return new Buffer(Number(size)); }
    static isBuffer(value) { return value instanceof Buffer; }
    static isEncoding(enc) { try { normEncoding(enc); return true; } catch { return false; } }
    static byteLength(value, encoding) {
      if (typeof value === 'string') return encodeString(value, encoding).length;
      return value.byteLength;
    }
    static concat(list, totalLength) {
      const total = totalLength === undefined ? list.reduce((n, b) => n + b.length, 0) : Number(totalLength);
      const out = Buffer.alloc(total);
      let at = 0;
      for (const b of list) {
        if (at >= total) break;
        const part = b.length > total - at ? b.subarray(0, total - at) : b;
        out.set(part, at);
        at += part.length;
      }
      return out;
    }
    static compare(a, b) { return a.compare(b); }
    fill(value, offset = 0, end = this.length, encoding) {
      if (typeof value === 'string') {
        const bytes = encodeString(value, typeof offset === 'string' ? offset : encoding);
        if (typeof offset === 'string') { offset = 0; end = this.length; }
        if (bytes.length === 0) return super.fill(0, offset, end);
        for (let i = offset; i < end; i++) this[i] = bytes[(i - offset) % bytes.length];
        return this;
      }
      return super.fill(Number(value) & 255, offset, end);
    }
    toString(encoding, start = 0, end = this.length) {
      return decodeBytes(this.subarray(Math.max(0, start), Math.min(this.length, end)), encoding);
    }
    toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
    equals(other) { return this.compare(other) === 0; }
    compare(other) {
      const n = Math.min(this.length, other.length);
      for (let i = 0; i < n; i++) if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1;
      return this.length === other.length ? 0 : this.length < other.length ? -1 : 1;
    }
    // Node's slice shares memory with the original, unlike Uint8Array's.
    slice(start, end) { return this.subarray(start, end); }
    subarray(start, end) { const v = Uint8Array.prototype.subarray.call(this, start, end); return new Buffer(v.buffer, v.byteOffset, v.length); }
    write(string, offset = 0, length, encoding) {
      if (typeof offset === 'string') { encoding = offset; offset = 0; }
      if (typeof length === 'string') { encoding = length; length = undefined; }
      const bytes = encodeString(string, encoding);
      const n = Math.min(bytes.length, this.length - offset, length === undefined ? Infinity : length);
      this.set(bytes.subarray(0, n), offset);
      return n;
    }
    copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
      const part = this.subarray(sourceStart, Math.min(sourceEnd, sourceStart + target.length - targetStart));
      target.set(part, targetStart);
      return part.length;
    }
    indexOf(value, byteOffset = 0, encoding) {
      if (typeof value === 'number') return Uint8Array.prototype.indexOf.call(this, value, byteOffset);
      const needle = typeof value === 'string' ? encodeString(value, encoding) : value;
      outer: for (let i = byteOffset < 0 ? Math.max(0, this.length + byteOffset) : byteOffset; i <= this.length - needle.length; i++) {
        for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    }
    includes(value, byteOffset, encoding) { return this.indexOf(value, byteOffset, encoding) !== -1; }
    readUInt8(o = 0) { return this[o]; }
    readUInt16LE(o = 0) { return this[o] | (this[o + 1] << 8); }
    readUInt16BE(o = 0) { return (this[o] << 8) | this[o + 1]; }
    readUInt32LE(o = 0) { return (this[o] | (this[o + 1] << 8) | (this[o + 2] << 16)) + this[o + 3] * 0x1000000; }
    readUInt32BE(o = 0) { return this[o] * 0x1000000 + ((this[o + 1] << 16) | (this[o + 2] << 8) | this[o + 3]); }
    readInt32LE(o = 0) { return this[o] | (this[o + 1] << 8) | (this[o + 2] << 16) | (this[o + 3] << 24); }
    readInt32BE(o = 0) { return (this[o] << 24) | (this[o + 1] << 16) | (this[o + 2] << 8) | this[o + 3]; }
    writeUInt8(v, o = 0) { this[o] = v; return o + 1; }
    writeUInt32BE(v, o = 0) { this[o] = v >>> 24; this[o + 1] = v >>> 16; this[o + 2] = v >>> 8; this[o + 3] = v; return o + 4; }
    writeUInt32LE(v, o = 0) { this[o] = v; this[o + 1] = v >>> 8; this[o + 2] = v >>> 16; this[o + 3] = v >>> 24; return o + 4; }
  }
  Buffer.poolSize = 8192;

  // ---- URLSearchParams ----------------------------------------------------------------------
  const hex2 = (b) => '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
  const percentDecode = (str) => {
    if (str.indexOf('%') === -1) return str;
    const bytes = utf8Encode(str);
    const out = [];
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 37 && i + 2 < bytes.length) {
        const v = parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
        if (/^[0-9a-fA-F]{2}$/.test(String.fromCharCode(bytes[i + 1], bytes[i + 2]))) { out.push(v); i += 2; continue; }
      }
      out.push(b);
    }
    return utf8Decode(out, false);
  };
  // application/x-www-form-urlencoded: only ASCII alphanumerics and *-._ stay; space becomes +.
  const formEncode = (str) => {
    const bytes = utf8Encode(str);
    let out = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if ((b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 42 || b === 45 || b === 46 || b === 95) out += String.fromCharCode(b);
      else if (b === 32) out += '+';
      else out += hex2(b);
    }
    return out;
  };
  const parseForm = (input) => {
    const list = [];
    for (const part of input.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      list.push([percentDecode(name.replace(/\+/g, ' ')), percentDecode(value.replace(/\+/g, ' '))]);
    }
    return list;
  };
  const LIST = Symbol('list');
  const OWNER = Symbol('url');

  class URLSearchParams {
    constructor(init = '') {
      this[LIST] = [];
      this[OWNER] = null;
      if (init instanceof URLSearchParams) this[LIST] = init[LIST].map(([k, v]) => [k, v]);
      else if (init !== null && typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
          this[LIST].push([String(p[0]), String(p[1])]);
        }
      } else if (init !== null && typeof init === 'object') {
        for (const key of Object.keys(init)) this[LIST].push([key, String(init[key])]);
      } else {
        const s = String(init);
        this[LIST] = parseForm(s[0] === '?' ? s.slice(1) : s);
      }
    }
    _update() { if (this[OWNER]) this[OWNER]._setQueryFromParams(this.toString()); }
    get size() { return this[LIST].length; }
    append(name, value) { this[LIST].push([String(name), String(value)]); this._update(); }
    delete(name, value) {
      const n = String(name);
      this[LIST] = this[LIST].filter(([k, v]) => !(k === n && (value === undefined || v === String(value))));
      this._update();
    }
    get(name) { const n = String(name); const hit = this[LIST].find(([k]) => k === n); return hit ? hit[1] : null; }
    getAll(name) { const n = String(name); return this[LIST].filter(([k]) => k === n).map(([, v]) => v); }
    has(name, value) { const n = String(name); return this[LIST].some(([k, v]) => k === n && (value === undefined || v === String(value))); }
    set(name, value) {
      const n = String(name); const v = String(value);
      const i = this[LIST].findIndex(([k]) => k === n);
      if (i === -1) this[LIST].push([n, v]);
      else { this[LIST][i][1] = v; this[LIST] = this[LIST].filter(([k], j) => j <= i || k !== n); }
      this._update();
    }
    sort() {
      this[LIST] = this[LIST].map((p, i) => [p, i]).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([p]) => p);
      this._update();
    }
    forEach(fn, thisArg) { for (const [k, v] of this[LIST]) fn.call(thisArg, v, k, this); }
    *keys() { for (const [k] of this[LIST]) yield k; }
    *values() { for (const [, v] of this[LIST]) yield v; }
    *entries() { for (const [k, v] of this[LIST]) yield [k, v]; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this[LIST].map(([k, v]) => formEncode(k) + '=' + formEncode(v)).join('&'); }
    get [Symbol.toStringTag]() { return 'URLSearchParams'; }
  }

  // ---- URL (WHATWG URL parsing for the shapes APIs use) -------------------------------------
  const SPECIAL = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21', 'file:': '' };
  const isSpecial = (protocol) => Object.prototype.hasOwnProperty.call(SPECIAL, protocol);
  // Percent-encode the characters of a set (C0 controls, non-ASCII always), keeping existing escapes.
  const encodeSet = (str, extra) => {
    let out = '';
    for (const ch of str) {
      const c = ch.codePointAt(0);
      if (c <= 0x20 || c >= 0x7f || extra.indexOf(ch) !== -1) {
        for (const b of utf8Encode(ch)) out += hex2(b);
      } else out += ch;
    }
    return out;
  };
  const FRAGMENT_SET = ' "<>' + String.fromCharCode(96);
  const QUERY_SET = ' "#<>';
  const SPECIAL_QUERY_SET = QUERY_SET + "'";
  const PATH_SET = QUERY_SET + '?^' + String.fromCharCode(96) + '{}';
  const USERINFO_SET = PATH_SET + '/:;=@[\\]|';
  const invalid = (input) => { const e = new TypeError('Invalid URL'); e.code = 'ERR_INVALID_URL'; e.input = input; return e; };

  const normalizePath = (path, special) => {
    const segments = path.split('/');
    const out = [];
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      const lower = s.toLowerCase();
      const last = i === segments.length - 1;
      if (s === '..' || lower === '.%2e' || lower === '%2e.' || lower === '%2e%2e') {
        if (out.length > 1) out.pop();
        if (last) out.push('');
      } else if (s === '.' || lower === '%2e') {
        if (last) out.push('');
      } else out.push(s);
    }
    let result = out.join('/');
    if (special && !result.startsWith('/')) result = '/' + result;
    return encodeSet(result, PATH_SET);
  };

  const parseHost = (host, special, input) => {
    if (host.startsWith('[')) {
      if (!host.endsWith(']') || !/^\[[0-9a-fA-F:.]+\]$/.test(host)) throw invalid(input);
      return host.toLowerCase();
    }
    const decoded = special ? percentDecode(host).toLowerCase() : host;
    if (special && (decoded === '' || /[\u0000\t\n\r #%/:<>?@[\\\]^|]/.test(decoded))) throw invalid(input);
    if (!special && /[\u0000\t\n\r #/:<>?@[\\\]^|]/.test(decoded)) throw invalid(input);
    return special ? decoded : encodeSet(decoded, '');
  };

  const parseAuthority = (rest, special, input) => {
    const end = rest.search(special ? /[/?#\\]/ : /[/?#]/);
    const authority = end === -1 ? rest : rest.slice(0, end);
    const after = end === -1 ? '' : rest.slice(end);
    const at = authority.lastIndexOf('@');
    let username = '';
    let password = '';
    let hostPort = authority;
    if (at !== -1) {
      const info = authority.slice(0, at);
      hostPort = authority.slice(at + 1);
      const colon = info.indexOf(':');
      username = encodeSet(colon === -1 ? info : info.slice(0, colon), USERINFO_SET);
      password = colon === -1 ? '' : encodeSet(info.slice(colon + 1), USERINFO_SET);
    }
    let hostname = hostPort;
    let port = '';
    const m = /:(\d*)$/.exec(hostPort);
    if (m && !hostPort.endsWith(']')) {
      hostname = hostPort.slice(0, m.index);
      port = m[1];
    } else if (/:[^\]]*$/.test(hostPort) && !hostPort.startsWith('[')) throw invalid(input);
    if (port !== '') {
      const n = Number(port);
      if (n > 65535) throw invalid(input);
      port = String(n);
    }
    return { username, password, hostname: parseHost(hostname, special, input), port, after };
  };

  const parseFileAuthority = (rest) => {
    const end = rest.search(/[/?#]/);
    const host = end === -1 ? rest : rest.slice(0, end);
    return { username: '', password: '', hostname: host.toLowerCase() === 'localhost' ? '' : host.toLowerCase(), port: '', after: end === -1 ? '' : rest.slice(end) };
  };

  const splitTail = (str) => {
    const hashAt = str.indexOf('#');
    const hash = hashAt === -1 ? null : str.slice(hashAt + 1);
    const beforeHash = hashAt === -1 ? str : str.slice(0, hashAt);
    const queryAt = beforeHash.indexOf('?');
    return {
      path: queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt),
      query: queryAt === -1 ? null : beforeHash.slice(queryAt + 1),
      hash,
    };
  };

  const parseURL = (rawInput, base) => {
    const input = String(rawInput).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(input);
    const r = { protocol: '', username: '', password: '', hostname: null, port: '', path: '', query: null, hash: null, opaque: false };
    let rest;
    if (scheme) {
      r.protocol = scheme[1].toLowerCase() + ':';
      rest = input.slice(scheme[0].length);
      const special = isSpecial(r.protocol);
      if (special) rest = rest.replace(/\\/g, '/');
      if (special && r.protocol !== 'file:' && !rest.startsWith('//') && base && base.protocol === r.protocol) {
        return resolveRelative(rest, base, rawInput);
      }
      if (r.protocol === 'file:' && !rest.startsWith('//')) rest = '//' + rest;
      if (special || rest.startsWith('//')) {
        // file: keeps the slashes after its (usually empty) host; other special schemes ignore extras.
        const a = r.protocol === 'file:'
          ? parseFileAuthority(rest.slice(2))
          : parseAuthority(special ? rest.replace(/^\/*/, '') : rest.slice(2), special, rawInput);
        r.username = a.username; r.password = a.password; r.hostname = a.hostname;
        r.port = a.port === SPECIAL[r.protocol] ? '' : a.port;
        rest = a.after;
        const t = splitTail(rest);
        r.path = t.path === '' && special ? '/' : normalizePath(t.path, special);
        r.query = t.query; r.hash = t.hash;
      } else {
        const t = splitTail(rest);
        if (t.path.startsWith('/')) r.path = normalizePath(t.path, false);
        else { r.opaque = true; r.path = encodeSet(t.path, ''); }
        r.query = t.query; r.hash = t.hash;
      }
      return finish(r, special);
    }
    if (!base) throw invalid(rawInput);
    return resolveRelative(input, base, rawInput);
  };

  const resolveRelative = (input, base, rawInput) => {
    const special = isSpecial(base.protocol);
    const text = special ? input.replace(/\\/g, '/') : input;
    if (base.opaque && !text.startsWith('#')) throw invalid(rawInput);
    const r = { protocol: base.protocol, username: base.username, password: base.password, hostname: base.hostname, port: base.port, path: base.path, query: base.query, hash: null, opaque: base.opaque };
    if (text.startsWith('//')) return parseURL(base.protocol + text, undefined);
    const t = splitTail(text);
    if (text.startsWith('/')) { r.path = normalizePath(t.path, special); r.query = t.query; r.hash = t.hash; }
    else if (text.startsWith('?')) { r.query = t.query; r.hash = t.hash; }
    else if (text.startsWith('#')) { r.hash = t.hash; }
    else if (text === '') { /* the base without its fragment */ }
    else {
      const dir = base.path.slice(0, base.path.lastIndexOf('/') + 1);
      r.path = normalizePath((dir === '' && base.hostname !== null ? '/' : dir) + t.path, special);
      r.query = t.query; r.hash = t.hash;
    }
    return finish(r, special);
  };

  const finish = (r, special) => {
    if (r.query !== null) r.query = encodeSet(r.query, special ? SPECIAL_QUERY_SET : QUERY_SET);
    if (r.hash !== null) r.hash = encodeSet(r.hash, FRAGMENT_SET);
    return r;
  };

  const STATE = Symbol('state');
  const PARAMS = Symbol('params');
  const serialize = (s) => {
    let out = s.protocol;
    if (s.hostname !== null) {
      out += '//';
      if (s.username !== '' || s.password !== '') out += s.username + (s.password !== '' ? ':' + s.password : '') + '@';
      out += s.hostname + (s.port !== '' ? ':' + s.port : '');
    } else if (!s.opaque && s.path.startsWith('//')) out += '/.';
    out += s.path;
    if (s.query !== null) out += '?' + s.query;
    if (s.hash !== null) out += '#' + s.hash;
    return out;
  };

  class URL {
    constructor(url, base) {
      const baseState = base === undefined ? undefined : base instanceof URL ? base[STATE] : parseURL(base, undefined);
      this[STATE] = parseURL(url, baseState);
      this[PARAMS] = new URLSearchParams(this[STATE].query || '');
      this[PARAMS][OWNER] = this;
    }
    static canParse(url, base) { try { new URL(url, base); return true; } catch { return false; } }
    static parse(url, base) { try { return new URL(url, base); } catch { return null; } }
    _setQueryFromParams(query) { this[STATE].query = query === '' ? null : query; }
    _reparse(href) {
      this[STATE] = parseURL(href, undefined);
      this[PARAMS][LIST] = parseForm(this[STATE].query || '');
    }
    get href() { return serialize(this[STATE]); }
    set href(value) { this._reparse(String(value)); }
    get origin() {
      const s = this[STATE];
      if (isSpecial(s.protocol) && s.protocol !== 'file:') return s.protocol + '//' + s.hostname + (s.port !== '' ? ':' + s.port : '');
      if (s.protocol === 'blob:') { try { return new URL(s.path).origin; } catch { return 'null'; } }
      return 'null';
    }
    get protocol() { return this[STATE].protocol; }
    set protocol(value) {
      const p = String(value).replace(/:.*$/, '').toLowerCase() + ':';
      if (!/^[a-z][a-z0-9+.-]*:$/.test(p) || isSpecial(p) !== isSpecial(this[STATE].protocol)) return;
      this[STATE].protocol = p;
      if (SPECIAL[p] === this[STATE].port) this[STATE].port = '';
    }
    get username() { return this[STATE].username; }
    set username(v) { if (this[STATE].hostname) this[STATE].username = encodeSet(String(v), USERINFO_SET); }
    get password() { return this[STATE].password; }
    set password(v) { if (this[STATE].hostname) this[STATE].password = encodeSet(String(v), USERINFO_SET); }
    get host() { const s = this[STATE]; return s.hostname === null ? '' : s.hostname + (s.port !== '' ? ':' + s.port : ''); }
    set host(v) {
      if (this[STATE].opaque) return;
      try { const a = parseAuthority(String(v), isSpecial(this[STATE].protocol), v); this[STATE].hostname = a.hostname; this[STATE].port = a.port === SPECIAL[this[STATE].protocol] ? '' : a.port; } catch { /* ignored, as in browsers */ }
    }
    get hostname() { return this[STATE].hostname === null ? '' : this[STATE].hostname; }
    set hostname(v) {
      if (this[STATE].opaque) return;
      try { this[STATE].hostname = parseHost(String(v), isSpecial(this[STATE].protocol), v); } catch { /* ignored */ }
    }
    get port() { return this[STATE].port; }
    set port(v) {
      const s = String(v);
      if (s === '') { this[STATE].port = ''; return; }
      const m = /^\d+/.exec(s);
      if (!m || Number(m[0]) > 65535) return;
      const port = String(Number(m[0]));
      this[STATE].port = port === SPECIAL[this[STATE].protocol] ? '' : port;
    }
    get pathname() { return this[STATE].path; }
    set pathname(v) {
      if (this[STATE].opaque) return;
      const special = isSpecial(this[STATE].protocol);
      let p = String(v);
      if (special) p = p.replace(/\\/g, '/');
      this[STATE].path = normalizePath(special && !p.startsWith('/') ? '/' + p : p, special);
    }
    get search() { const q = this[STATE].query; return q === null || q === '' ? '' : '?' + q; }
    set search(v) {
      const s = String(v);
      const q = s.startsWith('?') ? s.slice(1) : s;
      this[STATE].query = s === '' ? null : encodeSet(q, isSpecial(this[STATE].protocol) ? SPECIAL_QUERY_SET : QUERY_SET);
      this[PARAMS][LIST] = parseForm(q);
    }
    get searchParams() { return this[PARAMS]; }
    get hash() { const h = this[STATE].hash; return h === null || h === '' ? '' : '#' + h; }
    set hash(v) {
      const s = String(v);
      this[STATE].hash = s === '' ? null : encodeSet(s.startsWith('#') ? s.slice(1) : s, FRAGMENT_SET);
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
    get [Symbol.toStringTag]() { return 'URL'; }
  }

  // ---- structuredClone ----------------------------------------------------------------------
  const structuredClone = (value) => {
    const seen = new Map();
    const clone = (v) => {
      if (typeof v === 'function' || typeof v === 'symbol') {
        const e = new Error(String(v) + ' could not be cloned.'); e.name = 'DataCloneError'; throw e;
      }
      if (v === null || typeof v !== 'object') return v;
      if (seen.has(v)) return seen.get(v);
      let out;
      if (v instanceof Date) out = new Date(v.getTime());
      else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
      else if (v instanceof ArrayBuffer) out = v.slice(0);
      else if (ArrayBuffer.isView(v)) out = new v.constructor(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
      else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
      else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
      else if (v instanceof Error) { out = new Error(v.message); out.name = v.name; if (v.stack) out.stack = v.stack; }
      else if (Array.isArray(v)) { out = new Array(v.length); seen.set(v, out); for (let i = 0; i < v.length; i++) if (i in v) out[i] = clone(v[i]); return out; }
      else { out = {}; seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
      seen.set(v, out);
      return out;
    };
    return clone(value);
  };

  define('TextEncoder', TextEncoder);
  define('TextDecoder', TextDecoder);
  define('atob', atob);
  define('btoa', btoa);
  define('Buffer', Buffer);
  define('URLSearchParams', URLSearchParams);
  define('URL', URL);
  define('structuredClone', structuredClone);
})();
`;
