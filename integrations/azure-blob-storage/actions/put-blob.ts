import { createAction } from 'nango';
import * as z from 'zod';

/** Write a block blob (text content). */
export default createAction({
  description: 'Upload a block blob',
  version: '1.0.0',
  input: z.object({
    container: z.string().min(3),
    name: z.string().min(1),
    content: z.string(),
    contentType: z.string().optional(),
  }),
  output: z.object({ container: z.string(), name: z.string(), etag: z.string().nullable() }),
  endpoint: { method: 'POST', path: '/put-blob' },
  exec: async (nango, input) => {
    const response = await nango.put({
      endpoint: `/${encodeURIComponent(input.container)}/${input.name.split('/').map(encodeURIComponent).join('/')}`,
      data: input.content,
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': input.contentType ?? 'text/plain; charset=utf-8' },
      retries: 3,
    });
    return { container: input.container, name: input.name, etag: response.headers.etag ?? null };
  },
});
