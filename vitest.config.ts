import { defineConfig } from 'vitest/config';

/**
 * Two lanes, one run (`npm test` runs both). Files of one pool run one at a time
 * (maxWorkers 1), and the two pools run side by side:
 * - forks: the end-to-end files whose clusters run pods through containerd (each brings up a
 *   control plane and workers with pods: two of them at once on 2 cores made rollouts miss their
 *   timeouts), the HA cluster and the joined workers (which lean the two lanes to equal length);
 * - threads: everything else: the unit tests, the integration tests and the other
 *   end-to-end files, whose clusters run no workload of their own.
 * Every file keeps to its own loopback addresses, roots and pod networks, so the lanes never meet.
 * The global setup is the root's only, so it runs once for the whole run and its leak checks
 * cover every file; the projects do not inherit it (`extends: true` would run it once per project).
 */
// Each of these brings up its cluster on its own pod and service networks (none on the defaults).
const PODS = [
  'test/e2e/cri-pods.test.ts', 'test/e2e/workloads.test.ts', 'test/e2e/services.test.ts', 'test/e2e/pod-streams.test.ts',
  'test/e2e/batch.test.ts', 'test/e2e/dns.test.ts', 'test/e2e/ha.test.ts', 'test/e2e/join-cluster.test.ts',
];

const integration = { testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: 1,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          pool: 'threads',
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
          exclude: PODS,
          pool: 'threads',
          ...integration,
        },
      },
      {
        test: {
          name: 'pods',
          include: PODS,
          pool: 'forks',
          ...integration,
        },
      },
    ],
  },
});
