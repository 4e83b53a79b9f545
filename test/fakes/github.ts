import { json, type SeenRequest, Upstream } from '../proxy/upstream.js';

/**
 * A GitHub REST API fake following docs.github.com/rest: `GET /user/repos`, `GET /repos/{owner}/{repo}`,
 * `GET|POST /repos/{owner}/{repo}/issues`, bearer-token auth (401 `Bad credentials` otherwise),
 * `per_page`/`page` pagination with a `Link: <…>; rel="next"` header, numeric `id`s as GitHub
 * sends them, and pull requests listed among issues (with a `pull_request` key).
 */
export interface GithubRepoJson {
  id: number;
  node_id: string;
  name: string;
  full_name: string;
  private: boolean;
  owner: { login: string; id: number };
  description: string | null;
  topics: string[];
}

export interface GithubIssueJson {
  id: number;
  number: number;
  title: string;
  state: 'open' | 'closed';
  user: { login: string; id: number };
  body: string | null;
  created_at: string;
  updated_at: string;
  pull_request?: { url: string };
}

export interface GithubFake extends Upstream {
  token: string;
  repos: GithubRepoJson[];
  /** Issues (and pull requests) per `owner/repo`. */
  issues: Map<string, GithubIssueJson[]>;
  /** Requests other than the ones above, which the fake answered 404. */
  unknown: SeenRequest[];
}

const owner = { login: 'octocat', id: 583231 };

function linkHeader(base: string, path: string, page: number, perPage: number, total: number): Record<string, string> {
  const last = Math.max(1, Math.ceil(total / perPage));
  const url = (p: number) => `<${base}${path}?per_page=${perPage}&page=${p}>`;
  const parts: string[] = [];
  if (page < last) parts.push(`${url(page + 1)}; rel="next"`, `${url(last)}; rel="last"`);
  if (page > 1) parts.push(`${url(1)}; rel="first"`, `${url(page - 1)}; rel="prev"`);
  return parts.length > 0 ? { link: parts.join(', ') } : {};
}

export async function startGithubFake(token = 'gho_test_token'): Promise<GithubFake> {
  const api = (await new Upstream().start()) as GithubFake;
  api.token = token;
  api.unknown = [];
  api.repos = ['hello-world', 'spoon-knife', 'linguist'].map((name, i) => ({
    id: 1296269 + i,
    node_id: `MDEwOlJlcG9zaXRvcnkx${i}`,
    name,
    full_name: `octocat/${name}`,
    private: i === 2,
    owner,
    description: i === 1 ? null : `The ${name} repository`,
    topics: i === 0 ? ['demo', 'octocat'] : [],
  }));
  // The repository Nango's `nango init` template action posts issues to.
  api.repos.push({
    id: 600000001,
    node_id: 'R_kgDOdemo',
    name: 'interactive-demo',
    full_name: 'NangoHQ/interactive-demo',
    private: false,
    owner: { login: 'NangoHQ', id: 65000000 },
    description: 'Nango interactive demo',
    topics: [],
  });
  api.issues = new Map();
  let nextIssueId = 1_000;
  for (const repo of api.repos) {
    const list: GithubIssueJson[] = [];
    for (let n = 1; n <= 3; n++) {
      list.push({
        id: nextIssueId++,
        number: n,
        title: `${repo.name} issue ${n}`,
        state: n === 3 ? 'closed' : 'open',
        user: owner,
        body: `Body of ${repo.name} #${n}`,
        created_at: `2026-01-0${n}T10:00:00Z`,
        updated_at: `2026-02-0${n}T10:00:00Z`,
        ...(n === 2 && repo.name === 'spoon-knife' ? { pull_request: { url: 'https://example.test/pr' } } : {}),
      });
    }
    api.issues.set(repo.full_name, list);
  }
  const page = <T>(items: T[], url: URL, path: string, res: Parameters<typeof json>[0]) => {
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30) || 30);
    const current = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const slice = items.slice((current - 1) * perPage, current * perPage);
    json(res, 200, slice, linkHeader(api.url, path, current, perPage, items.length));
  };
  api.reset((req, res) => {
    if (req.headers.authorization !== `Bearer ${api.token}` && req.headers.authorization !== `token ${api.token}`) {
      return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    const url = new URL(req.url, api.url);
    if (url.pathname === '/user/repos' && req.method === 'GET') return page(api.repos, url, url.pathname, res);
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)(\/issues)?$/.exec(url.pathname);
    const full = repoMatch ? `${repoMatch[1]}/${repoMatch[2]}` : '';
    const repo = api.repos.find((r) => r.full_name === full);
    if (repoMatch && repo && !repoMatch[3] && req.method === 'GET') return json(res, 200, repo);
    if (repoMatch && repo && repoMatch[3]) {
      const list = api.issues.get(full) ?? [];
      if (req.method === 'GET') return page(list, url, url.pathname, res);
      if (req.method === 'POST') {
        const body = JSON.parse(req.body || '{}') as { title?: string; body?: string };
        if (!body.title)
          return json(res, 422, { message: 'Validation Failed', errors: [{ field: 'title', code: 'missing_field' }] });
        const issue: GithubIssueJson = {
          id: nextIssueId++,
          number: list.length + 1,
          title: body.title,
          state: 'open',
          user: owner,
          body: body.body ?? null,
          created_at: '2026-03-01T10:00:00Z',
          updated_at: '2026-03-01T10:00:00Z',
        };
        list.push(issue);
        api.issues.set(full, list);
        return json(res, 201, issue);
      }
    }
    api.unknown.push(req);
    return json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  });
  return api;
}
