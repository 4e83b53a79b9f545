import { proxyErrors } from './errors.js';

export type QueryParams = Record<string, string | number | boolean | ReadonlyArray<string | number> | undefined>;

/**
 * Nango's URL rules, which scripts rely on: `base + '/' + endpoint` with the endpoint's leading
 * slash dropped; an endpoint that already starts with the base URL (an absolute `@odata.nextLink`
 * passed back) is used as is; `params` are set on top of any query already in the endpoint.
 * An absolute endpoint on another origin is kept absolute (credentials are not sent there).
 */
export function buildUrl(baseUrl: string | undefined, endpoint: string, params?: QueryParams): URL {
  let url: URL;
  if (/^https?:\/\//i.test(endpoint)) {
    url = new URL(endpoint);
  } else {
    if (baseUrl === undefined || baseUrl === '') {
      throw proxyErrors.create('WEFT_PROXY_INVALID_REQUEST', {
        reason: `relative endpoint ${JSON.stringify(endpoint)} needs a base URL`,
      });
    }
    // The replaces only when there is a slash to drop (two regex runs per call showed in bench/proxy's profile).
    const base = baseUrl.endsWith('/') ? baseUrl.replace(/\/+$/, '') : baseUrl;
    const path = endpoint.startsWith('/') ? endpoint.replace(/^\/+/, '') : endpoint;
    try {
      url = new URL(path === '' ? base : `${base}/${path}`);
    } catch {
      throw proxyErrors.create('WEFT_PROXY_INVALID_REQUEST', {
        reason: `cannot build a URL from ${base} and ${endpoint}`,
      });
    }
  }
  if (params === undefined) return url;
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      url.searchParams.delete(key);
      for (const item of value) url.searchParams.append(key, String(item));
    } else {
      url.searchParams.set(key, String(value));
    }
  }
  return url;
}

const SECRET_PARAM =
  /^(api_?key|key|token|access_token|code|sig|signature|secret|client_secret|password|sv|se|sp|skoid|sktid)$/i;

/** The URL for logs: secret-looking query values (API keys, SAS signatures) replaced. */
export function redactedUrl(url: URL): string {
  if (url.search === '' && url.username === '' && url.password === '') return url.href;
  const copy = new URL(url);
  for (const key of [...copy.searchParams.keys()]) if (SECRET_PARAM.test(key)) copy.searchParams.set(key, '[redacted]');
  copy.username = '';
  copy.password = '';
  return copy.toString();
}
