import { createSync } from 'nango';
import { Container, listPaging, type XmlContainer } from '../models.js';

/** Every container of the storage account (List Containers, paged by NextMarker). */
export default createSync({
  description: 'Containers of the storage account',
  version: '1.0.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'full',
  endpoints: [{ method: 'GET', path: '/containers' }],
  models: { Container },
  exec: async (nango) => {
    await nango.trackDeletesStart('Container');
    for await (const page of nango.paginate<XmlContainer>({
      endpoint: '/',
      params: { comp: 'list' },
      paginate: listPaging('EnumerationResults.Containers.Container'),
    })) {
      await nango.batchSave(
        page.map((c) => ({
          id: c.Name,
          name: c.Name,
          lastModified: c.Properties?.['Last-Modified'] ?? null,
          etag: c.Properties?.Etag ?? null,
        })),
        'Container',
      );
    }
    await nango.trackDeletesEnd('Container');
  },
});
