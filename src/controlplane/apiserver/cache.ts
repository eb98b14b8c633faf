/**
 * An in-memory mirror of one etcd prefix (list, then watch from the list's revision), used
 * for what every request consults: the RBAC roles and bindings, the pods of the Node authorizer.
 * When its watch fails (etcd restarted past a compaction, the member gone), it lists and watches
 * again, with back-off, for as long as it takes: a cache that stopped following etcd would
 * authorize against a frozen past. Each sync cancels the watch it replaces, so neither a failure
 * nor a second start() leaves a watcher behind.
 */
import type { Watcher } from 'etcd3';
import type { KubeObject, Storage } from './storage.js';

/** Back-off between resyncs: 0.5 s doubling to 30 s (upstream's reflector backs off alike). */
const RESYNC_FIRST_MS = 500;
const RESYNC_MAX_MS = 30_000;

export class PrefixCache {
  private readonly objects = new Map<string, KubeObject>();
  private watcher: Watcher | undefined;
  private closed = false;
  private version = 0;
  /** Increases with every sync; a sync that finds it changed lost a race and undoes itself. */
  private syncs = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly storage: Storage,
    readonly prefix: string,
    /** Told about every failed resync (they are retried). */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Told after every change (crd-controller.ts reconciles on it). */
  onChange: () => void = () => undefined;

  /** Increases on every change; lets derived views rebuild lazily. */
  get generation(): number {
    return this.version;
  }

  values(): KubeObject[] {
    return [...this.objects.values()];
  }

  /** Lists and watches; throws when etcd does not answer (the caller retries start-up). */
  async start(): Promise<void> {
    this.closed = false;
    clearTimeout(this.retry);
    await this.sync();
  }

  private async sync(): Promise<void> {
    const sync = ++this.syncs;
    await this.cancelWatcher();
    const page = await this.storage.list(this.prefix, {});
    const watcher = await this.storage.watch(this.prefix, page.revision + 1, false);
    if (sync !== this.syncs || this.closed) {
      await watcher.cancel().catch(() => undefined);
      return;
    }
    this.objects.clear();
    for (const object of page.items) this.objects.set(this.keyOf(object), object);
    this.version++;
    this.watcher = watcher;
    this.onChange();
    watcher.on('put', (kv) => {
      this.objects.set(kv.key.toString('utf8'), this.storage.decode(kv));
      this.version++;
      this.onChange();
    });
    watcher.on('delete', (kv) => {
      this.objects.delete(kv.key.toString('utf8'));
      this.version++;
      this.onChange();
    });
    watcher.on('error', (err) => {
      if (this.watcher !== watcher || this.closed) return;
      this.onError(err);
      this.resyncLater(RESYNC_FIRST_MS);
    });
  }

  private resyncLater(delayMs: number): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (this.closed) return;
      this.sync().catch((err: unknown) => {
        this.onError(err);
        this.resyncLater(Math.min(delayMs * 2, RESYNC_MAX_MS));
      });
    }, delayMs);
  }

  private async cancelWatcher(): Promise<void> {
    const old = this.watcher;
    this.watcher = undefined;
    await old?.cancel().catch(() => undefined);
  }

  private keyOf(object: KubeObject): string {
    const meta = object.metadata ?? {};
    return meta.namespace ? `${this.prefix}${meta.namespace}/${meta.name ?? ''}` : `${this.prefix}${meta.name ?? ''}`;
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.cancelWatcher();
  }
}
