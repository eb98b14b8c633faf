/**
 * An informer as client-go's reflector + store: list, then watch from the list's
 * resourceVersion, keeping an in-memory cache keyed by namespace/name and calling add/update/
 * delete handlers. A watch that ends cleanly (server timeout) is reopened from the last seen
 * resourceVersion; a 410 Gone (the version was compacted) or a broken watch re-lists after a
 * back-off (1 s doubling to 30 s, reset by a successful list), and the re-list reports the
 * differences from the cache as events, so handlers never miss a change.
 */
import { KubeApiError, type KubeObject, type ResourceRef, type WatchEvent } from '../../kube/index.js';
import type { Logger } from '../../log.js';
import type { ApiClient } from './controller.js';

export interface InformerHandlers<T extends KubeObject> {
  add?(object: T): void;
  update?(previous: T, object: T): void;
  delete?(object: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: ApiClient;
  ref: ResourceRef;
  log: Logger;
  /** Only objects passing the filter enter the cache (e.g. Secrets of one type). */
  filter?: (object: T) => boolean;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

const keyOf = (object: KubeObject) => (object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : (object.metadata.name ?? ''));

/** Raised for a watch ERROR event: carries the Status code (410 when the version is gone). */
class WatchStatusError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private resourceVersion = '';
  private syncedResolve!: () => void;
  private readonly syncedPromise = new Promise<void>((resolve) => (this.syncedResolve = resolve));
  hasSynced = false;
  running = false;
  /** Lists made so far (the first one plus every re-list). */
  lists = 0;

  constructor(private readonly options: InformerOptions<T>) {}

  /** Registers handlers; when the cache is already filled they first see every object as added. */
  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
    if (this.hasSynced) for (const object of this.cache.values()) handlers.add?.(object);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  /** Resolves once the first list has filled the cache. */
  synced(): Promise<void> {
    return this.syncedPromise;
  }

  private emit(kind: 'add' | 'delete', object: T): void;
  private emit(kind: 'update', object: T, previous: T): void;
  private emit(kind: 'add' | 'update' | 'delete', object: T, previous?: T): void {
    for (const h of this.handlers) {
      if (kind === 'add') h.add?.(object);
      else if (kind === 'update') h.update?.(previous!, object);
      else h.delete?.(object);
    }
  }

  private accepts(object: T): boolean {
    return !this.options.filter || this.options.filter(object);
  }

  private upsert(object: T): void {
    const key = keyOf(object);
    const previous = this.cache.get(key);
    if (!this.accepts(object)) {
      if (previous) this.remove(previous);
      return;
    }
    this.cache.set(key, object);
    if (previous) this.emit('update', object, previous);
    else this.emit('add', object);
  }

  private remove(object: T): void {
    const key = keyOf(object);
    const previous = this.cache.get(key);
    if (!previous) return;
    this.cache.delete(key);
    this.emit('delete', object);
  }

  /** Replaces the cache with a fresh list, emitting the differences. */
  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(keyOf(item));
      const previous = this.cache.get(keyOf(item));
      if (previous && previous.metadata.resourceVersion === item.metadata.resourceVersion) continue;
      this.upsert(item);
    }
    for (const [key, object] of [...this.cache]) if (!seen.has(key)) this.remove(object);
  }

  private async listAll(): Promise<void> {
    const list = await this.options.client.list<T>(this.options.ref);
    this.lists++;
    // List items carry no apiVersion/kind; give them the list's, as watch events have them.
    const kind = list.kind?.replace(/List$/, '');
    const items = (list.items ?? []).map((item) => (item.kind || !kind ? item : { ...item, apiVersion: item.apiVersion ?? list.apiVersion, kind }));
    this.replace(items);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.syncedResolve();
    }
  }

  private apply(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; message?: string };
      throw new WatchStatusError(status.code ?? 500, status.message ?? 'watch error');
    }
    if (event.object?.metadata?.resourceVersion) this.resourceVersion = event.object.metadata.resourceVersion;
    if (event.type === 'ADDED' || event.type === 'MODIFIED') this.upsert(event.object);
    else if (event.type === 'DELETED') this.remove(event.object);
  }

  /** Lists and watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.running = true;
    const initial = this.options.backoffInitialMs ?? 1000;
    const max = this.options.backoffMaxMs ?? 30_000;
    let backoff = initial;
    let needList = true;
    const what = `${this.options.ref.resource}${this.options.ref.namespace ? ` in ${this.options.ref.namespace}` : ''}`;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAll();
          needList = false;
          backoff = initial;
        }
        let events = 0;
        for await (const event of this.options.client.watch<T>(this.options.ref, { resourceVersion: this.resourceVersion }, signal)) {
          events++;
          this.apply(event);
        }
        // A clean end (the server's watch timeout): watch again from where we are, pausing
        // briefly when the server ends watches at once so a misbehaving one is not hammered.
        if (events === 0) await sleep(100, signal);
      } catch (err) {
        if (signal.aborted) break;
        const gone = (err instanceof WatchStatusError && err.code === 410) || (err instanceof KubeApiError && err.status === 410);
        this.options.log.debug(2, `[informer] ${what}: ${gone ? 'resource version too old' : 'watch failed'}; re-listing in ${backoff} ms: ${err instanceof Error ? err.message : String(err)}`);
        needList = true;
        if (gone) continue;
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, max);
      }
    }
    this.running = false;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
