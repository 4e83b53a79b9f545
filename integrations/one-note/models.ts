import * as z from 'zod';

/** A OneNote notebook of the user. */
export const OneNoteNotebook = z.object({
  id: z.string(),
  displayName: z.string(),
  isDefault: z.boolean(),
  isShared: z.boolean(),
  userRole: z.string().nullable(),
  createdAt: z.string(),
  modifiedAt: z.string(),
  webUrl: z.string().nullable(),
});
export type OneNoteNotebook = z.infer<typeof OneNoteNotebook>;

/** A page (metadata; its HTML is at `contentUrl`, readable through the proxy). */
export const OneNotePage = z.object({
  id: z.string(),
  title: z.string(),
  sectionId: z.string().nullable(),
  sectionName: z.string().nullable(),
  notebookId: z.string().nullable(),
  notebookName: z.string().nullable(),
  order: z.number().int().nullable(),
  createdAt: z.string(),
  modifiedAt: z.string(),
  contentUrl: z.string().nullable(),
  webUrl: z.string().nullable(),
});
export type OneNotePage = z.infer<typeof OneNotePage>;

/** Raw Microsoft Graph shapes the scripts read. */
interface GraphLinks {
  oneNoteWebUrl?: { href?: string };
}

export interface GraphNotebook {
  id: string;
  displayName?: string;
  isDefault?: boolean;
  isShared?: boolean;
  userRole?: string;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  links?: GraphLinks;
}

export interface GraphPage {
  id: string;
  title?: string | null;
  order?: number;
  createdDateTime?: string;
  lastModifiedDateTime?: string;
  contentUrl?: string;
  links?: GraphLinks;
  parentSection?: { id?: string; displayName?: string } | null;
  parentNotebook?: { id?: string; displayName?: string } | null;
}

export function toNotebook(raw: GraphNotebook): OneNoteNotebook {
  return {
    id: raw.id,
    displayName: raw.displayName ?? '',
    isDefault: raw.isDefault ?? false,
    isShared: raw.isShared ?? false,
    userRole: raw.userRole ?? null,
    createdAt: raw.createdDateTime ?? '',
    modifiedAt: raw.lastModifiedDateTime ?? '',
    webUrl: raw.links?.oneNoteWebUrl?.href ?? null,
  };
}

export function toPage(raw: GraphPage): OneNotePage {
  return {
    id: raw.id,
    title: raw.title ?? '',
    sectionId: raw.parentSection?.id ?? null,
    sectionName: raw.parentSection?.displayName ?? null,
    notebookId: raw.parentNotebook?.id ?? null,
    notebookName: raw.parentNotebook?.displayName ?? null,
    order: raw.order ?? null,
    createdAt: raw.createdDateTime ?? '',
    modifiedAt: raw.lastModifiedDateTime ?? '',
    contentUrl: raw.contentUrl ?? null,
    webUrl: raw.links?.oneNoteWebUrl?.href ?? null,
  };
}
