import { createAction } from 'nango';
import * as z from 'zod';

/** Read a blob as text (small blobs; large ones are better streamed through the /proxy API). */
export default createAction({
  description: 'Download a blob as text',
  version: '1.0.0',
  input: z.object({ container: z.string().min(3), name: z.string().min(1) }),
  output: z.object({
    container: z.string(),
    name: z.string(),
    contentType: z.string().nullable(),
    content: z.string(),
  }),
  endpoint: { method: 'GET', path: '/get-blob' },
  exec: async (nango, input) => {
    try {
      const response = await nango.get<string>({
        endpoint: `/${encodeURIComponent(input.container)}/${input.name.split('/').map(encodeURIComponent).join('/')}`,
        responseType: 'text',
      });
      return {
        container: input.container,
        name: input.name,
        contentType: response.headers['content-type'] ?? null,
        content: response.data,
      };
    } catch (error) {
      if ((error as { response?: { status?: number } }).response?.status === 404) {
        throw new nango.ActionError({ type: 'not_found', message: `No blob ${input.container}/${input.name}` });
      }
      throw error;
    }
  },
});
