/**
 * What the bundled controller manager and scheduler share:
 * - controller.ts     the Controller shape, its context, shared informers, queue helpers
 * - informer.ts       list + watch with a cache and handlers; re-list on 410 or a broken watch
 * - workqueue.ts      client-go's rate-limited work queue and its workers
 * - leaderelection.ts Lease-based leader election (client-go semantics)
 * - resources.ts      where the kinds they touch live in the API
 * - events.ts         best-effort core/v1 Events
 * - component.ts      the process shell: flags, kubeconfig, health server, leader election
 * - flags.ts          table-driven pflag-style parser (string, bool, int, duration, list)
 * - health.ts         HTTPS /healthz /livez /readyz /metrics
 * - kubeconfig.ts     a component's kubeconfig → KubeClientConfig (swap for src/kubeconfig)
 * - x509.ts, der.ts   certificate building with native signatures (swap for src/pki)
 * - testing.ts        FakeApi, an in-memory API of the KubeClient's shape, for loop tests;
 *                     component-fixtures.ts: node roots, free ports, HTTPS GET for tests
 */
export * from './controller.js';
export * from './informer.js';
export * from './workqueue.js';
export * from './leaderelection.js';
export * from './resources.js';
export * from './flags.js';
export * from './component.js';
export * from './events.js';
