import { defineConfig } from 'vitest/config';

/**
 * Two projects, one run (`npm test` runs both). The global setup is the root's only, so it runs
 * once for the whole run and its leak checks cover every file; the projects do not inherit it
 * (`extends: true` would run it once per project).
 */
export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // One file at a time: every file keeps to its own loopback addresses, roots and pod networks,
    // so two could run side by side, but on 2 cores two clusters with pods made rollouts miss
    // their timeouts (see the closing note); the end-to-end files need the machine to themselves.
    maxWorkers: 1,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          pool: 'forks',
          // Unit tests start no process and no cluster: one that runs this long hangs, and fails.
          testTimeout: 10_000,
          hookTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          // test/integration: real etcd, API server, agents, openssl, kubectl; test/e2e: the built CLI.
          include: ['test/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
