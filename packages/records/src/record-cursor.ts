import { recordsErrors } from './errors.js';

// Opaque to clients on purpose: the encoding may change, only its round trip is promised.
const PREFIX = 'w1.';

export function encodeCursor(seq: number): string {
  return PREFIX + Buffer.from(String(seq)).toString('base64url');
}

/** The seq a cursor points after; WEFT_RECORDS_INVALID_CURSOR for anything Weft did not issue. */
export function decodeCursor(cursor: string): number {
  if (cursor.startsWith(PREFIX)) {
    const text = Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString();
    if (/^[0-9]{1,15}$/.test(text) && encodeCursor(Number(text)) === cursor) return Number(text);
  }
  throw recordsErrors.create('WEFT_RECORDS_INVALID_CURSOR', { cursor: JSON.stringify(cursor.slice(0, 80)) });
}
