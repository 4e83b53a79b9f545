import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'integrations/**/*.test.ts'],
    // isolated-vm needs --no-node-snapshot on Node 20; worker threads reject that flag, forks accept it.
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Fakes listen on loopback: every test file starts with an outbound policy that allows it.
    setupFiles: ['test/helpers/outbound-policy.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    maxWorkers: 2,
  },
});
