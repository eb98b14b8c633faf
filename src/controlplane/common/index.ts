/**
 * What the bundled controller manager and scheduler share:
 * - controller.ts     the Controller shape, its context, shared informers, queue helpers
 * - informer.ts       list + watch with a cache and handlers; re-list on 410 or a broken watch
 * - workqueue.ts      client-go's rate-limited work queue and its workers
 * - leaderelection.ts Lease-based leader election (client-go semantics)
 * - resources.ts      where the kinds they touch live in the API
 * - testing.ts        FakeApi, an in-memory API of the KubeClient's shape, for loop tests
 */
export * from './controller.js';
export * from './informer.js';
export * from './workqueue.js';
export * from './leaderelection.js';
export * from './resources.js';
