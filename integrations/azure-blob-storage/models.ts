import * as z from 'zod';

export const Container = z.object({
  id: z.string(),
  name: z.string(),
  lastModified: z.string().nullable(),
  etag: z.string().nullable(),
});

export const Blob = z.object({
  /** `${container}/${name}` */
  id: z.string(),
  container: z.string(),
  name: z.string(),
  size: z.number().nonnegative(),
  contentType: z.string().nullable(),
  lastModified: z.string().nullable(),
  etag: z.string().nullable(),
});

/** List Containers / List Blobs XML, as the proxy parses it (values stay strings). */
export interface XmlContainer {
  Name: string;
  Properties?: { 'Last-Modified'?: string; Etag?: string };
}
export interface XmlBlob {
  Name: string;
  Properties?: { 'Last-Modified'?: string; Etag?: string; 'Content-Length'?: string; 'Content-Type'?: string };
}

/** Cursor pagination over Azure's `marker` / `NextMarker` (XML parsed to objects by the proxy). */
export function listPaging(responsePath: string) {
  return {
    type: 'cursor' as const,
    cursor_path_in_response: 'EnumerationResults.NextMarker',
    cursor_name_in_request: 'marker',
    limit_name_in_request: 'maxresults',
    limit: 1000,
    response_path: responsePath,
  };
}
