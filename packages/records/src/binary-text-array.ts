/**
 * A one-dimensional Postgres array of strings in the binary wire format (what array_recv reads),
 * for a query parameter: node-pg sends a Buffer parameter in binary format as it is.
 *
 * Why not a JS array: node-pg turns one into a text array literal, running two regex replaces
 * over every element and concatenating the result, and Postgres' array_in then scans every
 * character back for quotes and backslashes before the element type parses it. For the ~1 KB
 * payloads of batchSave that is about half of what sending the batch costs (measured, 100
 * records per call: 0.77 ms text vs 0.39 ms binary to send and parse ids, payloads and hashes).
 * Here each element is its UTF-8 bytes behind a length; the element type's receive function
 * still checks them (UTF-8 validity for text, JSON syntax for json).
 */

/** Element types this encoder may name: their binary form is the UTF-8 text itself. */
export const TEXT_OID = 25;
export const JSON_OID = 114;

const HEADER_BYTES = 20; // ndim, has-nulls flag, element type, then length and lower bound of the one dimension

/**
 * `values` as a binary `text[]` or `json[]` parameter. The element type must be the one the
 * statement declares for the parameter (`$n::json[]` → JSON_OID): array_recv refuses another.
 */
export function binaryTextArray(elementOid: typeof TEXT_OID | typeof JSON_OID, values: readonly string[]): Buffer {
  const lengths = new Array<number>(values.length);
  let total = HEADER_BYTES + 4 * values.length;
  for (let i = 0; i < values.length; i++) {
    const length = Buffer.byteLength(values[i] as string);
    lengths[i] = length;
    total += length;
  }
  const out = Buffer.allocUnsafe(total);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(0, 4);
  out.writeInt32BE(elementOid, 8);
  out.writeInt32BE(values.length, 12);
  out.writeInt32BE(1, 16);
  let offset = HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    out.writeInt32BE(lengths[i] as number, offset);
    offset += 4;
    offset += out.write(values[i] as string, offset, 'utf8');
  }
  return out;
}
