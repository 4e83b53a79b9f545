import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AuthService, createAuthService, loadProviders } from '@weft/auth';
import { createSecretBox } from '@weft/core';
import { type ConnectionRowId, ensureEnvironment, type Pool } from '@weft/db';

/**
 * A provider stand-in in its own process (so its CPU is not ours): `source` is CommonJS run with
 * `node -e`; it must print `PORT <n>` once listening and exit when its stdin closes.
 */
export async function startUpstreamProcess(source: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', source], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`upstream exited with ${code} before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

/** The bench database's environment and auth service, plus API-key connections to loopback providers. */
export async function benchAuth(pool: Pool): Promise<{
  environmentId: number;
  auth: AuthService;
  /** An integration of `key` (GitHub-PAT style API key) whose proxy base URL is `baseUrl`, with one connection. */
  connect(
    key: string,
    baseUrl: string,
    connectionId: string,
  ): Promise<{ id: ConnectionRowId; providerConfigKey: string; connectionId: string }>;
}> {
  const box = createSecretBox(randomBytes(32));
  const { environment } = await ensureEnvironment(pool, box);
  const auth = createAuthService({
    pool,
    box,
    providers: await loadProviders(new URL('../providers.yaml', import.meta.url).pathname),
    publicUrl: 'http://localhost',
  });
  const integrations = new Set<string>();
  return {
    environmentId: environment.id,
    auth,
    async connect(key, baseUrl, connectionId) {
      if (!integrations.has(key)) {
        await auth.createIntegration(environment.id, {
          uniqueKey: key,
          provider: 'github-pat',
          overrides: { proxy: { base_url: baseUrl } },
        });
        integrations.add(key);
      }
      const imported = await auth.importConnection(environment.id, key, {
        connectionId,
        credentials: { type: 'API_KEY', apiKey: `ghp_${connectionId}` },
      });
      return { id: imported.id, providerConfigKey: key, connectionId };
    },
  };
}
