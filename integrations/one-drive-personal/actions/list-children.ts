import { createAction } from 'nango';
import * as z from 'zod';
import { DriveItem, type GraphDriveItem, toDriveItem } from '../models.js';

/** One page of a folder's children; pass `cursor` back to get the next page. */
export default createAction({
  description: 'List the children of a folder (root when no folderId)',
  version: '1.0.0',
  input: z.object({
    folderId: z.string().optional(),
    cursor: z.string().optional(),
    pageSize: z.number().int().min(1).max(999).optional(),
  }),
  output: z.object({ items: z.array(DriveItem), next_cursor: z.string().nullable() }),
  endpoint: { method: 'GET', path: '/children' },
  exec: async (nango, input) => {
    const endpoint =
      input.cursor ??
      (input.folderId
        ? `/v1.0/me/drive/items/${encodeURIComponent(input.folderId)}/children`
        : '/v1.0/me/drive/root/children');
    const response = await nango.get<{ value: GraphDriveItem[]; '@odata.nextLink'?: string }>({
      endpoint,
      ...(input.cursor ? {} : { params: { $top: String(input.pageSize ?? 200) } }),
    });
    return { items: response.data.value.map(toDriveItem), next_cursor: response.data['@odata.nextLink'] ?? null };
  },
});
