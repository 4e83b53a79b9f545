import * as z from 'zod';

/** A file or folder of the user's OneDrive, as the `files` sync stores it. */
export const DriveItem = z.object({
  id: z.string(),
  name: z.string(),
  /** Path of the parent folder, e.g. `/drive/root:/Documents`. */
  parentPath: z.string().nullable(),
  parentId: z.string().nullable(),
  isFolder: z.boolean(),
  size: z.number().nonnegative(),
  mimeType: z.string().nullable(),
  createdAt: z.string(),
  modifiedAt: z.string(),
  webUrl: z.string().nullable(),
  eTag: z.string().nullable(),
});
export type DriveItem = z.infer<typeof DriveItem>;

/** Raw driveItem fields the scripts read (Microsoft Graph driveItem resource). */
export interface GraphDriveItem {
  id: string;
  name?: string;
  size?: number;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  webUrl?: string;
  eTag?: string;
  root?: Record<string, unknown>;
  deleted?: { state?: string };
  file?: { mimeType?: string };
  folder?: { childCount?: number };
  parentReference?: { id?: string; path?: string; driveId?: string };
}

export function toDriveItem(raw: GraphDriveItem): DriveItem {
  return {
    id: raw.id,
    name: raw.name ?? '',
    parentPath: raw.parentReference?.path ?? null,
    parentId: raw.parentReference?.id ?? null,
    isFolder: raw.folder !== undefined,
    size: raw.size ?? 0,
    mimeType: raw.file?.mimeType ?? null,
    createdAt: raw.createdDateTime ?? '',
    modifiedAt: raw.lastModifiedDateTime ?? '',
    webUrl: raw.webUrl ?? null,
    eTag: raw.eTag ?? null,
  };
}
