/**
 * An in-memory mirror of one etcd prefix (list, then watch from the list's revision), used
 * for what every request consults: the RBAC roles and bindings. Relists after a watch error.
 */
import type { Watcher } from 'etcd3';
import type { KubeObject, Storage } from './storage.js';

export class PrefixCache {
  private readonly objects = new Map<string, KubeObject>();
  private watcher: Watcher | undefined;
  private closed = false;
  private version = 0;

  constructor(
    private readonly storage: Storage,
    readonly prefix: string,
  ) {}

  /** Increases on every change; lets derived views rebuild lazily. */
  get generation(): number {
    return this.version;
  }

  values(): KubeObject[] {
    return [...this.objects.values()];
  }

  async start(): Promise<void> {
    const page = await this.storage.list(this.prefix, {});
    this.objects.clear();
    for (const object of page.items) this.objects.set(this.keyOf(object), object);
    this.version++;
    const watcher = await this.storage.client.watch().prefix(this.prefix).startRevision(String(page.revision + 1)).create();
    this.watcher = watcher;
    watcher.on('put', (kv) => {
      this.objects.set(kv.key.toString('utf8'), this.storage.decode(kv));
      this.version++;
    });
    watcher.on('delete', (kv) => {
      this.objects.delete(kv.key.toString('utf8'));
      this.version++;
    });
    watcher.on('error', () => {
      if (this.closed) return;
      void watcher.cancel().catch(() => undefined);
      setTimeout(() => void this.start().catch(() => undefined), 1000);
    });
  }

  private keyOf(object: KubeObject): string {
    const meta = object.metadata ?? {};
    return meta.namespace ? `${this.prefix}${meta.namespace}/${meta.name ?? ''}` : `${this.prefix}${meta.name ?? ''}`;
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.watcher?.cancel().catch(() => undefined);
  }
}
