import { createAction } from 'nango';
import * as z from 'zod';
import { listDrives } from '../list-drives.js';
import { Drive } from '../models.js';

/** The drives the `files` sync would read, without syncing anything (e.g. for a drive picker). */
export default createAction({
  description: 'List the user OneDrive and the SharePoint document libraries they can read',
  version: '1.0.0',
  input: z.object({}),
  output: z.object({ drives: z.array(Drive) }),
  endpoint: { method: 'GET', path: '/drives' },
  exec: async (nango) => ({ drives: await listDrives(nango) }),
});
