/**
 * What the bundled controller manager and scheduler share:
 * - controller.ts     the Controller shape, its context, shared informers, queue helpers
 * - informer.ts       list + watch with a cache and handlers; re-list on 410 or a broken watch
 * - workqueue.ts      client-go's rate-limited work queue and its workers
 * - leaderelection.ts Lease-based leader election (client-go semantics)
 * - resources.ts      where the kinds they touch live in the API
 * - events.ts         best-effort core/v1 Events
 * - run-component.ts  the process shell: flags, kubeconfig (src/kubeconfig), serving
 *                     certificate (src/pki), health server, leader election, exit on failure
 * - flags.ts          table-driven pflag-style parser (string, bool, int, duration, list, TLS version)
 * - health.ts         HTTPS /healthz /livez /readyz /metrics
 * Their tests use test/helpers/fake-api.ts (FakeApi, an in-memory API of the KubeClient's
 * shape) and test/helpers/component-root.ts (node roots, free ports, HTTPS GET).
 */
export * from './controller.js';
export * from './informer.js';
export * from './workqueue.js';
export * from './leaderelection.js';
export * from './resources.js';
export * from './flags.js';
export * from './run-component.js';
export * from './events.js';
