import { json, Upstream } from '../proxy/upstream.js';

/**
 * The API the compatibility scripts call: one endpoint per pagination style Nango's docs list
 * (cursor, link in the body, link in the `Link` header, offset per page and by response size,
 * cursor in a POST body), an echo endpoint for every HTTP method and a 404. Seven items, so a
 * page size of 3 gives pages of 3, 3 and 1.
 */
export interface CompatApi extends Upstream {
  items: Array<{ id: string; name: string }>;
  /** Answer the next request whose path and query match with `status`, once. */
  failNext(match: (url: URL) => boolean, status?: number): void;
}

export async function startCompatApi(): Promise<CompatApi> {
  const api = (await new Upstream().start()) as CompatApi;
  api.items = Array.from({ length: 7 }, (_, i) => ({ id: `i${i + 1}`, name: `Item ${i + 1}` }));
  const failures: Array<{ match: (url: URL) => boolean; status: number }> = [];
  api.failNext = (match, status = 500) => {
    failures.push({ match, status });
  };
  api.reset((req, res) => {
    const url = new URL(req.url, api.url);
    const failing = failures.findIndex((f) => f.match(url));
    if (failing !== -1) {
      const [failure] = failures.splice(failing, 1);
      return json(res, failure?.status ?? 500, { error: 'failing as the test asked' });
    }
    const q = url.searchParams;
    const items = api.items;
    switch (url.pathname) {
      case '/cursor/items': {
        const start = Number(q.get('cursor') ?? 0);
        const limit = Number(q.get('limit') ?? 100);
        const next = start + limit < items.length ? String(start + limit) : '';
        return json(res, 200, { data: items.slice(start, start + limit), meta: { next_cursor: next } });
      }
      case '/link/items': {
        const page = Number(q.get('page') ?? 1);
        const size = Number(q.get('per_page') ?? 3);
        const more = page * size < items.length;
        return json(res, 200, {
          items: items.slice((page - 1) * size, page * size),
          links: { next: more ? `${api.url}/link/items?page=${page + 1}&per_page=${size}` : null },
        });
      }
      case '/header/items': {
        const page = Number(q.get('page') ?? 1);
        const size = Number(q.get('per_page') ?? 3);
        const more = page * size < items.length;
        const link: Record<string, string> = more
          ? { link: `<${api.url}/header/items?page=${page + 1}&per_page=${size}>; rel="next"` }
          : {};
        return json(res, 200, items.slice((page - 1) * size, page * size), link);
      }
      case '/offset/items': {
        const page = Number(q.get('page') ?? 1);
        const size = Number(q.get('size') ?? 3);
        return json(res, 200, { results: items.slice((page - 1) * size, page * size) });
      }
      case '/skip/items': {
        const offset = Number(q.get('offset') ?? 0);
        const limit = Number(q.get('limit') ?? 3);
        return json(res, 200, { results: items.slice(offset, offset + limit) });
      }
      case '/graphql': {
        const body = JSON.parse(req.body || '{}') as { variables?: { first?: number; after?: string } };
        const first = body.variables?.first ?? 3;
        const start = body.variables?.after ? Number(body.variables.after) : 0;
        const end = start + first;
        return json(res, 200, {
          data: {
            items: { nodes: items.slice(start, end), pageInfo: { endCursor: end < items.length ? String(end) : null } },
          },
        });
      }
      case '/echo':
        return json(res, req.method === 'POST' ? 201 : 200, {
          method: req.method,
          query: Object.fromEntries(q),
          body: req.body ? (JSON.parse(req.body) as unknown) : null,
        });
      default:
        return json(res, 404, { error: 'not found', path: url.pathname });
    }
  });
  return api;
}
