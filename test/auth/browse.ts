/**
 * One request as a browser makes it: the cookies `cookies` holds for the URL's host are sent, and
 * those the answer sets are kept (keyed `host|name`). Redirects are left to the caller.
 */
export async function fetchKeepingCookies(url: string, cookies: Map<string, string>): Promise<Response> {
  const host = new URL(url).host;
  const jar = [...cookies.entries()]
    .filter(([k]) => k.startsWith(`${host}|`))
    .map(([k, v]) => `${k.split('|')[1]}=${v}`)
    .join('; ');
  const response = await fetch(url, { redirect: 'manual', headers: jar ? { cookie: jar } : {} });
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const [name, ...rest] = (pair ?? '').split('=');
    if (name) cookies.set(`${host}|${name.trim()}`, rest.join('='));
  }
  return response;
}

/** A minimal user agent: follows redirects by hand (keeping cookies), like a browser without JS. */
export async function browse(
  start: string,
  options: { maxHops?: number; cookies?: Map<string, string> } = {},
): Promise<{ url: string; status: number; body: string; hops: string[] }> {
  const cookies = options.cookies ?? new Map<string, string>();
  const hops: string[] = [];
  let url = start;
  for (let hop = 0; hop < (options.maxHops ?? 15); hop++) {
    hops.push(url);
    const response = await fetchKeepingCookies(url, cookies);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).toString();
      await response.body?.cancel();
      continue;
    }
    return { url, status: response.status, body: await response.text(), hops };
  }
  throw new Error(`too many redirects from ${start}`);
}
