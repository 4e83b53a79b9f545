import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { spawnWeft } from '../helpers/weft-process.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(() => h.close());

async function weft(args: string[], env: Record<string, string> = {}) {
  const run = spawnWeft(args, { WEFT_API_URL: h.url, WEFT_SECRET_KEY: h.secretKey, ...env });
  const code = await run.exited;
  return { code, stdout: run.stdout.join('\n'), stderr: run.stderr.join('\n') };
}

describe('weft integration …', () => {
  it('creates, lists (with the secret-expiry warning), updates and deletes an integration', async () => {
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const created = await weft([
      'integration',
      'create',
      'my-drive',
      'one-drive-personal',
      '--client-id',
      'cid',
      '--client-secret',
      'top-secret',
      '--scopes',
      'offline_access,Files.Read',
      '--secret-expires-at',
      soon,
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created integration my-drive');
    expect(created.stdout).not.toContain('top-secret');
    const list = await weft(['integration', 'list']);
    expect(list.stdout).toMatch(/my-drive {2}\(one-drive-personal, OAUTH2\)/);
    expect(list.stdout).toMatch(/warning: The client secret expires on .* \(in (9|10) days\)/);
    const updated = await weft(['integration', 'update', 'my-drive', '--display-name', 'Team drive']);
    expect(updated.stdout).toContain('Team drive');
    expect((await weft(['integration', 'delete', 'my-drive'])).code).toBe(0);
    const gone = await weft(['integration', 'show', 'my-drive']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error WEFT_AUTH_INTEGRATION_NOT_FOUND: No integration my-drive');
  });

  it('explains an unknown provider, missing OAuth credentials and a missing secret key in one line each', async () => {
    const unknown = await weft(['integration', 'create', 'x', 'no-such-provider']);
    expect(unknown.stderr).toBe('Error WEFT_AUTH_UNKNOWN_PROVIDER: Unknown provider no-such-provider');
    const noSecret = await weft(['integration', 'create', 'y', 'outlook', '--client-id', 'a']);
    expect(noSecret.stderr).toContain('WEFT_AUTH_MISSING_CLIENT_CREDENTIALS');
    expect(noSecret.stderr).toContain('needs client_secret');
    const noKey = await weft(['integration', 'list'], { WEFT_SECRET_KEY: '' });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('weft env show');
  });
});

describe('providers.yaml at start', () => {
  it('a bad entry stops `weft start` with file:line, key, field and reason', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'weft-providers-'));
    const file = path.join(dir, 'providers.yaml');
    await writeFile(file, 'ok:\n    auth_mode: OAUTH2\nbroken:\n    auth_mode: OAUTH2\n    default_scopes: openid\n');
    const run = spawnWeft(['start'], { WEFT_PROVIDERS_FILE: file, WEFT_DATA_DIR: path.join(dir, 'data') });
    expect(await run.exited).toBe(1);
    const stderr = run.stderr.join('\n');
    expect(stderr).toContain('WEFT_AUTH_PROVIDERS_INVALID');
    expect(stderr).toContain(`${file}:5 broken.default_scopes: must be a list of scope strings`);
  });
});
