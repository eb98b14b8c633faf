/**
 * The shape every controller has: a name and a `run` that lives until the signal aborts. The
 * context carries the API client (the KubeClient, or a fake of the same shape in tests), the
 * shared informers, a logger, the clock and the work-queue metrics registry.
 */
import type { KubeClient, KubeObject, ResourceRef } from '../../kube/index.js';
import type { Logger } from '../../log.js';
import { Informer, type InformerOptions } from './informer.js';
import { runWorkers, WorkQueue, type QueueMetrics } from './workqueue.js';

/** The part of KubeClient the controllers use; the tests' FakeApi implements the same. */
export type ApiClient = Pick<KubeClient, 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'watch' | 'request'>;

/** Work queues by name, for /metrics. */
export class MetricsRegistry {
  readonly queues: QueueMetrics[] = [];
  register(queue: QueueMetrics): void {
    this.queues.push(queue);
  }
}

/** One informer per resource (and namespace), shared by every controller that watches it. */
export class SharedInformers {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private signal: AbortSignal | undefined;

  constructor(private readonly client: ApiClient, private readonly log: Logger) {}

  informerFor<T extends KubeObject>(ref: ResourceRef, options: Pick<InformerOptions<T>, 'filter'> = {}): Informer<T> {
    const key = `${ref.group ?? ''}/${ref.version}/${ref.resource}/${ref.namespace ?? ''}`;
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>({ client: this.client, ref, log: this.log, filter: options.filter as InformerOptions<KubeObject>['filter'] });
      this.informers.set(key, informer);
      if (this.signal) void informer.run(this.signal);
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer made so far, and any made later, until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const informer of this.informers.values()) if (!informer.running) void informer.run(signal);
  }
}

export interface ControllerContext {
  client: ApiClient;
  informers: SharedInformers;
  signal: AbortSignal;
  log: Logger;
  now: () => Date;
  metrics: MetricsRegistry;
}

export interface Controller {
  readonly name: string;
  run(ctx: ControllerContext): Promise<void>;
}

/** A work queue registered for metrics, shut down when the context's signal aborts. */
export function contextQueue(ctx: ControllerContext, name: string): WorkQueue {
  const queue = new WorkQueue({ name });
  ctx.metrics.register(queue);
  ctx.signal.addEventListener('abort', () => queue.shutDown(), { once: true });
  return queue;
}

/**
 * Runs `workers` workers on the queue. A failing key is logged as a warning on its 1st, 2nd,
 * 4th, 8th... consecutive failure (so a lasting 403 shows without flooding), otherwise at -v=2.
 */
export function runQueue(ctx: ControllerContext, queue: WorkQueue, workers: number, handler: (key: string) => Promise<void>): Promise<void> {
  return runWorkers(queue, workers, handler, (key, err) => {
    const failures = queue.failureCount(key) + 1;
    const line = `[${queue.name}] syncing ${key} failed (attempt ${failures}, retrying with back-off): ${err instanceof Error ? err.message : String(err)}`;
    if ((failures & (failures - 1)) === 0) ctx.log.warn(line);
    else ctx.log.debug(2, line);
  });
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc). */
export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : (name ?? '');
}

/** Resolves when the signal aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export interface InformerLoopOptions<T extends KubeObject> {
  /** The work queue's name (in /metrics). */
  name: string;
  informer: Informer<T>;
  /** Objects this controller acts on; others are never queued. */
  accept: (object: T) => boolean;
  workers: number;
  /** Handles one object as the cache has it now (only while it is still accepted). */
  sync: (object: T, key: string, queue: WorkQueue) => Promise<void>;
}

/** The loop most controllers are: queue accepted objects on add/update, then sync each key. */
export async function runInformerLoop<T extends KubeObject>(ctx: ControllerContext, options: InformerLoopOptions<T>): Promise<void> {
  const { informer, accept } = options;
  const queue = contextQueue(ctx, options.name);
  const enqueue = (object: T) => accept(object) && queue.add(objectKey(object));
  informer.on({ add: enqueue, update: (_, object) => enqueue(object) });
  await informer.synced();
  const sync = async (key: string) => {
    const object = informer.get(key);
    if (object && accept(object)) await options.sync(object, key, queue);
  };
  await Promise.race([runQueue(ctx, queue, options.workers, sync), untilAborted(ctx.signal)]);
}
