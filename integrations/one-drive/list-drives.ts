import type { Drive, GraphDrive, GraphSite } from './models.js';

/** The slice of the `nango` object the drive listing needs (syncs and actions both have it). */
interface NangoLike {
  get<T>(config: {
    endpoint: string;
    baseUrlOverride?: string;
    params?: Record<string, string>;
    headers?: Record<string, string>;
  }): Promise<{ data: T }>;
  paginate<T>(config: {
    endpoint: string;
    params?: Record<string, string>;
    paginate?: { type: 'link'; link_path_in_response_body: string; response_path: string };
  }): AsyncGenerator<T[]>;
  log(message: unknown, options?: { level?: 'debug' | 'info' | 'warn' | 'error' }): Promise<void>;
}

/** `https://host[:port]` of an absolute URL (the sandbox has no `URL` class). */
const originOf = (url: string): string => /^(https?:\/\/[^/?#]+)/i.exec(url)?.[1] ?? '';

const graphPaging = {
  type: 'link',
  link_path_in_response_body: '@odata.nextLink',
  response_path: 'value',
} as const;

interface SearchResults {
  PrimaryQueryResult?: {
    RelevantResults?: {
      RowCount?: number;
      TotalRows?: number;
      Table?: { Rows?: Array<{ Cells?: Array<{ Key: string; Value: string | null }> }> };
    };
  };
}

/**
 * Sites the user can read, from SharePoint's own search API (`/_api/search/query`,
 * `contentclass:STS_Site`): it finds every site collection, where Graph's `sites?search=*` can miss
 * some. The call goes to the tenant's SharePoint host; the proxy sends the connection's SharePoint
 * token (`connection_config.sharepointAccessToken`) there — the script never sees it.
 */
async function searchSites(nango: NangoLike, sharepointOrigin: string): Promise<GraphSite[]> {
  const sites: GraphSite[] = [];
  const pageSize = 100;
  for (let startrow = 0; ; startrow += pageSize) {
    const response = await nango.get<SearchResults>({
      baseUrlOverride: sharepointOrigin,
      endpoint: '/_api/search/query',
      params: {
        querytext: "'contentclass:STS_Site'",
        selectproperties: "'Title,Path,SiteId,WebId'",
        rowlimit: String(pageSize),
        startrow: String(startrow),
        trimduplicates: 'false',
      },
      headers: { accept: 'application/json;odata=nometadata' },
    });
    const results = response.data.PrimaryQueryResult?.RelevantResults;
    const rows = results?.Table?.Rows ?? [];
    for (const row of rows) {
      const cell = (key: string) => row.Cells?.find((c) => c.Key === key)?.Value ?? '';
      const path = cell('Path');
      if (path === '' || cell('SiteId') === '' || cell('WebId') === '') continue;
      // Graph addresses a site as "<hostname>,<site collection id>,<web id>".
      sites.push({
        id: `${originOf(path).replace(/^https?:\/\//i, '')},${cell('SiteId')},${cell('WebId')}`,
        displayName: cell('Title'),
        webUrl: path,
      });
    }
    if (rows.length < pageSize || startrow + rows.length >= (results?.TotalRows ?? 0)) return sites;
  }
}

async function graphSites(nango: NangoLike): Promise<GraphSite[]> {
  const sites: GraphSite[] = [];
  for await (const page of nango.paginate<GraphSite>({
    endpoint: '/v1.0/sites',
    params: { search: '*' },
    paginate: graphPaging,
  }))
    sites.push(...page);
  return sites;
}

/**
 * Every drive the user can read: their own OneDrive (`/me/drives`) and the document libraries of
 * every SharePoint site visible to them (SharePoint search, or Graph's site search when the
 * connection has no SharePoint token) → `/sites/{id}/drives`.
 */
export async function listDrives(nango: NangoLike): Promise<Drive[]> {
  const drives: Drive[] = [];
  for await (const page of nango.paginate<GraphDrive>({ endpoint: '/v1.0/me/drives', paginate: graphPaging })) {
    for (const d of page)
      drives.push({
        id: d.id,
        name: d.name ?? 'OneDrive',
        driveType: d.driveType ?? 'business',
        siteId: null,
        siteName: null,
        webUrl: d.webUrl ?? null,
      });
  }
  let sites: GraphSite[];
  try {
    const root = await nango.get<GraphSite>({ endpoint: '/v1.0/sites/root', params: { $select: 'id,webUrl' } });
    sites = await searchSites(nango, originOf(root.data.webUrl ?? ''));
  } catch (error) {
    const status = (error as { response?: { status?: number } }).response?.status;
    await nango.log(`SharePoint search unavailable (${status ?? (error as Error).message}); using Graph site search`, {
      level: 'warn',
    });
    sites = await graphSites(nango);
  }
  for (const site of sites) {
    for await (const page of nango.paginate<GraphDrive>({
      endpoint: `/v1.0/sites/${encodeURIComponent(site.id)}/drives`,
      paginate: graphPaging,
    })) {
      for (const d of page)
        drives.push({
          id: d.id,
          name: d.name ?? 'Documents',
          driveType: d.driveType ?? 'documentLibrary',
          siteId: site.id,
          siteName: site.displayName ?? site.name ?? null,
          webUrl: d.webUrl ?? null,
        });
    }
  }
  return drives;
}
