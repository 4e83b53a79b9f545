import { createSync } from 'nango';
import * as z from 'zod';
import { Blob, listPaging, type XmlBlob, type XmlContainer } from '../models.js';

/**
 * Every blob of every container (List Blobs, paged by NextMarker). The checkpoint remembers the
 * containers already listed, so an interrupted run continues where it stopped; deletions are
 * detected over the whole snapshot.
 */
export default createSync({
  description: 'Blobs of every container',
  version: '1.0.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'full',
  endpoints: [{ method: 'GET', path: '/blobs' }],
  models: { Blob },
  checkpoint: z.object({ done: z.array(z.string()) }),
  exec: async (nango) => {
    const checkpoint = await nango.getCheckpoint();
    if (checkpoint === null) await nango.trackDeletesStart('Blob');
    const done = new Set(checkpoint?.done ?? []);
    const containers: string[] = [];
    for await (const page of nango.paginate<XmlContainer>({
      endpoint: '/',
      params: { comp: 'list' },
      paginate: listPaging('EnumerationResults.Containers.Container'),
    })) {
      containers.push(...page.map((c) => c.Name));
    }
    for (const container of containers) {
      if (done.has(container)) continue;
      for await (const page of nango.paginate<XmlBlob>({
        endpoint: `/${encodeURIComponent(container)}`,
        params: { restype: 'container', comp: 'list' },
        paginate: listPaging('EnumerationResults.Blobs.Blob'),
      })) {
        await nango.batchSave(
          page.map((b) => ({
            id: `${container}/${b.Name}`,
            container,
            name: b.Name,
            size: Number(b.Properties?.['Content-Length'] ?? 0),
            contentType: b.Properties?.['Content-Type'] ?? null,
            lastModified: b.Properties?.['Last-Modified'] ?? null,
            etag: b.Properties?.Etag ?? null,
          })),
          'Blob',
        );
      }
      done.add(container);
      await nango.saveCheckpoint({ done: [...done] });
    }
    await nango.clearCheckpoint();
    await nango.trackDeletesEnd('Blob');
  },
});
