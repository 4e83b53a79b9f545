import { createAction } from 'nango';
import * as z from 'zod';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// Scripts run without Node or browser globals (no Buffer, no btoa): encode by hand.
function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    out += ALPHABET.charAt(a >> 2) + ALPHABET.charAt(((a & 3) << 4) | (b >> 4));
    out += i + 1 < bytes.length ? ALPHABET.charAt(((b & 15) << 2) | (c >> 6)) : '=';
    out += i + 2 < bytes.length ? ALPHABET.charAt(c & 63) : '=';
  }
  return out;
}

/**
 * Download a file's content (Graph answers 302 to a pre-authenticated URL; the proxy follows it
 * without sending the token there). Returned base64-encoded; keep it for small files.
 */
export default createAction({
  description: 'Download a file (base64)',
  version: '1.0.0',
  input: z.object({ id: z.string().min(1) }),
  output: z.object({ id: z.string(), size: z.number(), base64: z.string() }),
  endpoint: { method: 'GET', path: '/download' },
  exec: async (nango, input) => {
    try {
      const response = await nango.get<number[]>({
        endpoint: `/v1.0/me/drive/items/${encodeURIComponent(input.id)}/content`,
        responseType: 'arraybuffer',
      });
      const bytes = new Uint8Array(response.data);
      return { id: input.id, size: bytes.length, base64: toBase64(bytes) };
    } catch (error) {
      if ((error as { response?: { status?: number } }).response?.status === 404) {
        throw new nango.ActionError({ type: 'not_found', message: `No file ${input.id}` });
      }
      throw error;
    }
  },
});
