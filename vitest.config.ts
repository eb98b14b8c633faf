import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time even on 2 cores: the end-to-end files mostly wait on clusters, and
    // every file keeps to its own loopback addresses, roots and pod networks.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
