import { json, Upstream } from '../proxy/upstream.js';

/** A small paginated API the demo fixtures sync from: GET /items?cursor&limit, GET /items/:id, POST /items/:id/rename. */
export interface DemoApi extends Upstream {
  items: Array<{ id: string; title: string; bytes: number }>;
  /**
   * Hold the next request matching `match` until released: `arrived` resolves when it comes in
   * (so a test can act while a sync is mid-run, without sleeping).
   */
  hold(match: (url: URL) => boolean): { arrived: Promise<void>; release(): void };
  /** Answer the next request matching `match` with this status (a client error by default), once. */
  failNext(match: (url: URL) => boolean, status?: number): void;
}

export async function startDemoApi(count = 120): Promise<DemoApi> {
  const api = (await new Upstream().start()) as DemoApi;
  const holds: Array<{ match: (url: URL) => boolean; arrive: () => void; gate: Promise<void> }> = [];
  api.hold = (match) => {
    let arrive = () => {};
    let release = () => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    holds.push({ match, arrive, gate });
    return { arrived, release };
  };
  const failures: Array<{ match: (url: URL) => boolean; status: number }> = [];
  api.failNext = (match, status = 400) => {
    failures.push({ match, status });
  };
  api.items = Array.from({ length: count }, (_, i) => ({ id: `item-${i}`, title: `Item ${i}`, bytes: i * 10 }));
  api.reset((req, res) => {
    const url = new URL(req.url, api.url);
    const failing = failures.findIndex((f) => f.match(url));
    if (failing !== -1) {
      const [failure] = failures.splice(failing, 1);
      return json(res, failure?.status ?? 400, { error: 'failing as the test asked' });
    }
    const held = holds.findIndex((h) => h.match(url));
    if (held !== -1) {
      const [hold] = holds.splice(held, 1);
      hold?.arrive();
      void hold?.gate.then(() => api.handler({ ...req, url: `${req.url}` }, res));
      return;
    }
    const rename = /^\/items\/([^/]+)\/rename$/.exec(url.pathname);
    if (rename && req.method === 'POST') {
      const item = api.items.find((i) => i.id === rename[1]);
      if (!item) return json(res, 404, { error: 'not found' });
      item.title = (JSON.parse(req.body) as { name: string }).name;
      return json(res, 200, item);
    }
    const one = /^\/items\/([^/]+)$/.exec(url.pathname);
    if (one) {
      const item = api.items.find((i) => i.id === one[1]);
      return item ? json(res, 200, item) : json(res, 404, { error: 'not found' });
    }
    if (url.pathname === '/items') {
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const page = api.items.slice(start, start + limit);
      const next = start + limit < api.items.length ? String(start + limit) : '';
      return json(res, 200, { items: page, next });
    }
    json(res, 404, { error: 'no route' });
  });
  return api;
}
