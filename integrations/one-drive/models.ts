import * as z from 'zod';

/** A drive the user can read: their own OneDrive, or a SharePoint site's document library. */
export const Drive = z.object({
  id: z.string(),
  name: z.string(),
  /** `business` (the user's OneDrive) or `documentLibrary` (a SharePoint site). */
  driveType: z.string(),
  siteId: z.string().nullable(),
  siteName: z.string().nullable(),
  webUrl: z.string().nullable(),
});
export type Drive = z.infer<typeof Drive>;

/** A file or folder of one of those drives, as the `files` sync stores it. */
export const DriveFile = z.object({
  id: z.string(),
  driveId: z.string(),
  siteId: z.string().nullable(),
  name: z.string(),
  parentId: z.string().nullable(),
  isFolder: z.boolean(),
  size: z.number().nonnegative(),
  mimeType: z.string().nullable(),
  createdAt: z.string(),
  modifiedAt: z.string(),
  webUrl: z.string().nullable(),
  eTag: z.string().nullable(),
});
export type DriveFile = z.infer<typeof DriveFile>;

/** Raw Microsoft Graph shapes the scripts read. */
export interface GraphDrive {
  id: string;
  name?: string;
  driveType?: string;
  webUrl?: string;
}

export interface GraphSite {
  id: string;
  displayName?: string;
  name?: string;
  webUrl?: string;
}

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
  parentReference?: { id?: string; driveId?: string; siteId?: string };
}

export function toDriveFile(raw: GraphDriveItem, drive: Drive): DriveFile {
  return {
    id: raw.id,
    driveId: drive.id,
    siteId: drive.siteId,
    name: raw.name ?? '',
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
