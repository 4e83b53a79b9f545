import type { ConnectionRef, ProviderPaginate } from '@weft/auth';
import { proxyErrors } from './errors.js';
import type { OutboundProxy, ProxyCallContext, ProxyRequestConfig } from './proxy.js';
import type { ProxyResponse } from './proxy-error.js';

export interface PaginateOptions extends Partial<ProviderPaginate> {
  /** Page size to request, put under `limit_name_in_request`. */
  limit?: number;
  /** Called after each page with the value that fetches the next one (cursor, link or offset). */
  on_page?: (page: { nextPageParam: string | number | undefined; response: ProxyResponse }) => unknown;
}

/** Read a dotted path; a key that itself contains dots (`@odata.nextLink`) wins when present. */
export function pick(value: unknown, path: string | undefined): unknown {
  if (path === undefined || path === '') return value;
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, path))
    return (value as Record<string, unknown>)[path];
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A page as an array: XML lists with one element arrive as an object, empty ones as ''. */
function pageOf(data: unknown, responsePath: string | undefined): unknown[] | unknown {
  if (responsePath === undefined || responsePath === '') return data;
  const value = pick(data, responsePath);
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function isEmpty(page: unknown): boolean {
  return Array.isArray(page) && page.length === 0;
}

/** Set a paging parameter: query for GET/DELETE, JSON body (dotted names nested, numbers kept) otherwise. */
function setParam(config: ProxyRequestConfig, name: string, value: string | number): ProxyRequestConfig {
  const method = (config.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'DELETE' || method === 'HEAD') {
    const params =
      typeof config.params === 'string'
        ? Object.fromEntries(new URLSearchParams(config.params))
        : { ...(config.params ?? {}) };
    params[name] = String(value);
    return { ...config, params };
  }
  const data =
    typeof config.data === 'object' && config.data !== null
      ? structuredClone(config.data as Record<string, unknown>)
      : {};
  const parts = name.split('.');
  let target = data as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    if (typeof target[part] !== 'object' || target[part] === null) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts[parts.length - 1] as string] = value;
  return { ...config, data };
}

function nextLinkFromHeader(link: string | undefined, rel: string): string | undefined {
  if (link === undefined) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (match && match[2] === rel) return match[1];
  }
  return undefined;
}

/**
 * Nango's `paginate` (runner-sdk semantics scripts depend on): the provider's defaults merged
 * with the call's; cursor and offset stop on an empty page before yielding; link yields every
 * page, then follows the body path or `Link` header; an absolute next link becomes
 * baseUrlOverride + path so it keeps working across hosts of the same provider.
 */
export async function* paginate<T = unknown>(
  proxy: OutboundProxy,
  ref: ConnectionRef,
  config: ProxyRequestConfig & { paginate?: PaginateOptions },
  ctx: ProxyCallContext = {},
): AsyncGenerator<T[]> {
  const connection = await proxy.connection(ref);
  const options = { ...(connection.provider.proxy?.paginate ?? {}), ...(config.paginate ?? {}) } as PaginateOptions;
  if (options.type === undefined) {
    throw proxyErrors.create('WEFT_PROXY_INVALID_REQUEST', {
      reason: 'paginate needs a type (cursor, link or offset), here or in providers.yaml',
    });
  }
  const { paginate: _p, ...base } = config;
  let current: ProxyRequestConfig = base;
  if (options.limit !== undefined && options.limit_name_in_request)
    current = setParam(current, options.limit_name_in_request, options.limit);

  if (options.type === 'cursor') {
    for (;;) {
      const response = await proxy.request(ref, current, ctx);
      const page = pageOf(response.data, options.response_path);
      if (isEmpty(page)) return;
      yield page as T[];
      const raw = pick(response.data, options.cursor_path_in_response);
      const cursor = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : '';
      await options.on_page?.({ nextPageParam: cursor || undefined, response });
      if (cursor === '') return;
      if (!options.cursor_name_in_request)
        throw proxyErrors.create('WEFT_PROXY_INVALID_REQUEST', {
          reason: 'cursor pagination needs cursor_name_in_request',
        });
      current = setParam(current, options.cursor_name_in_request, cursor);
    }
  }

  if (options.type === 'link') {
    let previous: string | undefined;
    for (;;) {
      const response = await proxy.request(ref, current, ctx);
      yield pageOf(response.data, options.response_path) as T[];
      const fromBody = options.link_path_in_response_body
        ? pick(response.data, options.link_path_in_response_body)
        : undefined;
      const link =
        typeof fromBody === 'string' && fromBody !== ''
          ? fromBody
          : options.link_rel_in_response_header
            ? nextLinkFromHeader(response.headers.link, options.link_rel_in_response_header)
            : undefined;
      await options.on_page?.({ nextPageParam: link, response });
      if (link === undefined || link === previous) return;
      previous = link;
      const { params: _params, ...rest } = current;
      if (/^https?:\/\//i.test(link)) {
        const next = new URL(link);
        current = { ...rest, baseUrlOverride: next.origin, endpoint: `${next.pathname}${next.search}` };
      } else {
        current = { ...rest, endpoint: link };
      }
    }
  }

  // offset
  const name = options.offset_name_in_request;
  if (!name)
    throw proxyErrors.create('WEFT_PROXY_INVALID_REQUEST', {
      reason: 'offset pagination needs offset_name_in_request',
    });
  let offset = options.offset_start_value ?? 0;
  current = setParam(current, name, offset);
  for (;;) {
    const response = await proxy.request(ref, current, ctx);
    const page = pageOf(response.data, options.response_path);
    if (isEmpty(page)) return;
    yield page as T[];
    const size = Array.isArray(page) ? page.length : 1;
    if (options.limit !== undefined && size < options.limit) return;
    // Nango hands on_page the offset of the page just read (its runner-sdk calls it before
    // advancing), so scripts that checkpoint it re-read that page on resume: keep that.
    await options.on_page?.({ nextPageParam: offset, response });
    offset = options.offset_calculation_method === 'per-page' ? offset + 1 : offset + size;
    current = setParam(current, name, offset);
  }
}
