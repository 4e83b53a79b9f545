import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '@weft/db';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('starts everything offline, connects a demo account, deploys and shows records arriving', async () => {
    const port = await freePort();
    // Exactly what `npm run demo` runs, with --once so it stops after the first changes.
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', 'scripts/demo.ts', '--once'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, err).toBe(0);
    expect(out).toContain(`Weft is running: http://127.0.0.1:${port}`);
    expect(out).toMatch(/Connected a demo OneDrive account through OAuth/);
    expect(out).toContain('Deployed integrations/one-drive-personal');
    expect(out).toMatch(/\d+ change\(s\) received → \d+ items in Weft/);
  }, 180_000);
});
