import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GithubFake, startGithubFake } from '../fakes/github.js';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import {
  linkNangoDependencies,
  NON_INTERACTIVE,
  nangoYamlValidatorProblem,
  runNangoCli,
} from '../helpers/nango-cli.js';
import { eventually, runsOf } from '../scheduler/helpers.js';

// The pinned Nango CLI (npm `nango` 0.71.10) against a real Weft on loopback: `nango init`'s own
// project, deployed with `nango deploy`, scheduled and run by Weft in its sandbox, records read
// back through the Nango-compatible API; and `nango dryrun` of its sync against Weft.

const tmpRoot = new URL('../.tmp/', import.meta.url).pathname;
const legacyFixture = new URL('../fixtures/nango-cli/legacy-project/', import.meta.url).pathname;
// The CLI starts slowly on a busy 2-core machine (type-check + esbuild per command): these are
// ceilings for a stuck process, not expectations; every step waits for the process to exit.
const CLI_TIMEOUT = 300_000;

let h: ApiHarness;
let github: GithubFake;
let work: string;
let cliEnv: Record<string, string>;

beforeAll(async () => {
  // Time shrunk 100×: the first scheduled run comes within a second of the deploy.
  h = await startApi({ scheduler: { timeScale: 0.01, tickMs: 50, heartbeatMs: 200 } });
  github = await startGithubFake();
  const created = await h.api('/integrations', {
    method: 'POST',
    json: {
      unique_key: 'github',
      provider: 'github',
      credentials: { client_id: 'gh-client', client_secret: 'gh-secret' },
      overrides: { proxy: { base_url: github.url } },
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const imported = await h.api('/connection', {
    method: 'POST',
    json: {
      connection_id: 'octocat',
      provider_config_key: 'github',
      credentials: { type: 'OAUTH2', access_token: github.token },
    },
  });
  expect(imported.status, await imported.clone().text()).toBeLessThan(300);
  await mkdir(tmpRoot, { recursive: true });
  work = await mkdtemp(path.join(tmpRoot, 'nango-cli-'));
  cliEnv = { NANGO_HOSTPORT: h.url, NANGO_SECRET_KEY_DEV: h.secretKey };
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  await github?.stop();
  await h?.close();
});

const headers = { 'Connection-Id': 'octocat', 'Provider-Config-Key': 'github' };

describe('the Nango CLI against Weft: the project `nango init` creates', () => {
  let project: string;

  it(
    'nango init, then nango deploy: the sync, the action and the event script are accepted',
    async () => {
      const init = await runNangoCli(['init', 'nango-integrations', '--copy', ...NON_INTERACTIVE], {
        cwd: work,
        home: work,
      });
      expect(init.code, init.stdout + init.stderr).toBe(0);
      project = path.join(work, 'nango-integrations');
      await linkNangoDependencies(project);

      const deploy = await runNangoCli(['deploy', 'dev', '--auto-confirm', ...NON_INTERACTIVE], {
        cwd: project,
        home: work,
        env: cliEnv,
      });
      expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
      // The plan Weft answered, as the CLI prints it, then the deploy result.
      expect(deploy.stdout).toContain('github → fetchIssues');
      expect(deploy.stdout).toContain('github → createIssue');
      expect(deploy.stdout).toContain('github → pre-connection-deletion');
      expect(deploy.stdout).toContain('- fetchIssues@v1.0.0');
      expect(deploy.stdout).toContain('- createIssue@v1.0.0');

      const config = await h.get('/scripts/config?provider_config_key=github');
      expect(config.data.map((s: Body) => `${s.type}:${s.name}`).sort()).toEqual([
        'action:createIssue',
        'on-event:pre-connection-deletion',
        'sync:fetchIssues',
      ]);
      const onEvent = config.data.find((s: Body) => s.type === 'on-event');
      expect(onEvent.definition).toMatchObject({ kind: 'on-event', event: 'pre-connection-deletion' });
      const sync = config.data.find((s: Body) => s.name === 'fetchIssues');
      expect(sync.definition).toMatchObject({ frequency: 'every hour', autoStart: true, syncType: 'full' });
      expect(Object.keys(sync.definition.models)).toEqual(['GithubIssue']);
    },
    CLI_TIMEOUT,
  );

  it('schedules the sync (autoStart) and runs the CLI build in the sandbox; records read back', async () => {
    const connection = await h.auth.findConnectionRecord({
      environmentId: h.environmentId,
      providerConfigKey: 'github',
      connectionId: 'octocat',
    });
    const runs = await eventually(
      async () => {
        const all = await runsOf(h.db.pool, 'fetchIssues', connection.id);
        return all.some((r) => r.status === 'success' || r.status === 'failed') ? all : undefined;
      },
      120_000,
      'the first scheduled run of fetchIssues',
    );
    const finished = runs.find((r) => r.status === 'success' || r.status === 'failed');
    const { rows } = await h.db.pool.query('SELECT error FROM sync_runs WHERE id = $1', [finished?.id]);
    expect(finished?.status, JSON.stringify(rows[0]?.error)).toBe('success');
    // Paginated with GitHub's Link header (the provider's default), one page of 100 per call.
    const issueCalls = github.seen.filter((r) => /^\/repos\/[^/]+\/[^/]+\/issues/.test(r.url));
    expect(issueCalls.length).toBe(github.repos.length);
    expect(issueCalls.every((r) => r.url.includes('per_page=100'))).toBe(true);

    const page = await h.get('/records?model=GithubIssue', { headers });
    const expected = [...github.issues.values()].flat().filter((i) => i.pull_request === undefined);
    expect(page.records.map((r: Body) => r.title).sort()).toEqual(expected.map((i) => i.title).sort());
    const first = page.records.find((r: Body) => r.title === 'hello-world issue 1');
    expect(first).toMatchObject({ owner: 'octocat', repo: 'hello-world', issue_number: 1, state: 'open' });
  }, 180_000);

  it('triggers the deployed action (Nango shape)', async () => {
    const before = github.seen.length;
    const response = await h.api('/action/trigger', {
      method: 'POST',
      headers,
      json: {
        action_name: 'createIssue',
        input: {
          id: '1',
          owner: 'NangoHQ',
          repo: 'interactive-demo',
          issue_number: 1,
          title: 'From Weft',
          state: 'open',
          author: 'octocat',
          author_id: 1,
          body: 'b',
          date_created: '2026-01-01',
          date_last_modified: '2026-01-01',
        },
      },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    // The template's `nango.proxy` call names no method: Nango sends it as a GET (and so does Weft).
    const call = github.seen.slice(before).find((r) => r.url.startsWith('/repos/NangoHQ/interactive-demo/issues'));
    expect(call?.method).toBe('GET');
  });

  it(
    'nango dryrun runs the sync on the developer machine through Weft (connection, integration, proxy)',
    async () => {
      const before = github.seen.length;
      const dryrun = await runNangoCli(
        [
          'dryrun',
          'fetchIssues',
          'octocat',
          '-e',
          'dev',
          '--integration-id',
          'github',
          '--auto-confirm',
          ...NON_INTERACTIVE,
        ],
        { cwd: project, home: work, env: cliEnv },
      );
      expect(dryrun.code, dryrun.stdout + dryrun.stderr).toBe(0);
      const expected = [...github.issues.values()].flat().filter((i) => i.pull_request === undefined);
      expect(dryrun.stdout).toMatch(new RegExp(`"added": ${expected.length}`));
      // Its HTTP went through Weft's proxy to the fake (the CLI never sees the token).
      expect(github.seen.length).toBeGreaterThan(before);
    },
    CLI_TIMEOUT,
  );
});

describe('the Nango CLI against Weft: a legacy nango.yaml project', () => {
  let project: string;

  it(
    'nango deploy refuses nango.yaml (CLI 0.71); nango migrate-to-zero-yaml, then nango deploy',
    async () => {
      await h.api('/integrations', {
        method: 'POST',
        json: {
          unique_key: 'github-legacy',
          provider: 'github',
          credentials: { client_id: 'gh-client', client_secret: 'gh-secret' },
          overrides: { proxy: { base_url: github.url } },
        },
      });
      await h.api('/connection', {
        method: 'POST',
        json: {
          connection_id: 'octocat',
          provider_config_key: 'github-legacy',
          credentials: { type: 'OAUTH2', access_token: github.token },
        },
      });
      project = path.join(work, 'legacy-project');
      await cp(legacyFixture, project, { recursive: true });
      await linkNangoDependencies(project);

      // The pinned CLI no longer deploys nango.yaml projects: it says so and points at the migration.
      const refused = await runNangoCli(['deploy', 'dev', '--auto-confirm', ...NON_INTERACTIVE], {
        cwd: project,
        home: work,
        env: cliEnv,
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr + refused.stdout).toContain('nango.yaml');

      // A stale install (two copies of ajv) breaks the CLI's nango.yaml validation: say so here
      // rather than as a migration that "fails to compile" with exit code 0.
      expect(nangoYamlValidatorProblem()).toBeUndefined();
      const migrated = await runNangoCli(['migrate-to-zero-yaml', ...NON_INTERACTIVE], { cwd: project, home: work });
      expect(migrated.code, migrated.stdout + migrated.stderr).toBe(0);
      expect(migrated.stdout, migrated.stdout + migrated.stderr).toContain('Compiled');

      const deploy = await runNangoCli(['deploy', 'dev', '--auto-confirm', ...NON_INTERACTIVE], {
        cwd: project,
        home: work,
        env: cliEnv,
      });
      expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
      expect(deploy.stdout).toContain('- repos@v0.0.1');
      expect(deploy.stdout).toContain('- get-repo@v0.0.1');
      const config = await h.get('/scripts/config?provider_config_key=github-legacy');
      const sync = config.data.find((s: Body) => s.name === 'repos');
      // nango.yaml's settings survive the migration into the deployed definition.
      expect(sync.definition).toMatchObject({ frequency: 'every day', syncType: 'full', trackDeletes: true });
      expect(sync.definition.models.GithubRepo.required).toEqual(
        expect.arrayContaining(['id', 'name', 'owner', 'private', 'description', 'topics']),
      );
    },
    3 * CLI_TIMEOUT,
  );

  it('schedules and runs the migrated sync; records read back; the action answers', async () => {
    // Only a deployed sync gets runs: without it, fail now instead of waiting for a run that never comes.
    const deployed = await h.get('/scripts/config?provider_config_key=github-legacy');
    expect(deployed.data.map((s: Body) => s.name)).toContain('repos');
    const connection = await h.auth.findConnectionRecord({
      environmentId: h.environmentId,
      providerConfigKey: 'github-legacy',
      connectionId: 'octocat',
    });
    const runs = await eventually(
      async () => {
        const all = await runsOf(h.db.pool, 'repos', connection.id);
        return all.some((r) => r.status === 'success' || r.status === 'failed') ? all : undefined;
      },
      120_000,
      'the first scheduled run of repos',
    );
    const finished = runs.find((r) => r.status === 'success' || r.status === 'failed');
    const { rows } = await h.db.pool.query('SELECT error FROM sync_runs WHERE id = $1', [finished?.id]);
    expect(finished?.status, JSON.stringify(rows[0]?.error)).toBe('success');
    const page = await h.get('/records?model=GithubRepo', {
      headers: { 'Connection-Id': 'octocat', 'Provider-Config-Key': 'github-legacy' },
    });
    expect(page.records.map((r: Body) => r.id).sort()).toEqual(github.repos.map((r) => String(r.id)).sort());
    expect(page.records.find((r: Body) => r.name === 'hello-world')).toMatchObject({
      owner: 'octocat',
      private: false,
      topics: ['demo', 'octocat'],
    });

    const response = await h.api('/action/trigger', {
      method: 'POST',
      headers: { 'Connection-Id': 'octocat', 'Provider-Config-Key': 'github-legacy' },
      json: { action_name: 'get-repo', input: { owner: 'octocat', name: 'spoon-knife' } },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toEqual({
      id: String(github.repos[1]?.id),
      name: 'spoon-knife',
      owner: 'octocat',
      private: false,
      description: null,
      topics: [],
    });
  }, 180_000);
});

describe('the CLI routes refuse bad input with 4xx', () => {
  it('a body that is not a CLI deployment, a build that is not CommonJS, an unknown integration', async () => {
    const empty = await h.api('/sync/deploy', { method: 'POST', json: {} });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as Body).error.code).toBe('WEFT_API_INVALID_REQUEST');
    const flow = (js: string, providerConfigKey = 'github') => ({
      flowConfigs: [{ type: 'sync', syncName: 'x', providerConfigKey, fileBody: { js, ts: '' } }],
      reconcile: false,
      debug: false,
    });
    const notCjs = await h.api('/sync/deploy/confirmation', { method: 'POST', json: flow('export default 1;') });
    expect(notCjs.status).toBe(400);
    expect(((await notCjs.json()) as Body).error.code).toBe('WEFT_RUNNER_COMPILE_FAILED');
    const cjs =
      'const z = require("zod"); module.exports = { default: { type: "sync", frequency: "every hour", models: { X: z.object({ id: z.string() }) }, exec: async () => {} } };';
    const unknown = await h.api('/sync/deploy', { method: 'POST', json: flow(cjs, 'no-such-integration') });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Body).error.code).toBe('WEFT_RUNNER_SCRIPT_NOT_FOUND');
  });
});
