/**
 * FakeApi: an in-memory stand-in for the API server with the KubeClient's shape, for the
 * controller framework's and the controllers' loop tests (the real-API integration tests come
 * with the bundled API server). It keeps resourceVersions, compare-and-swap updates, a watch
 * history that can be compacted (watches from older versions get 410 Gone), finalizers, and
 * records every write. Subresources (`status`, `approval`, `finalize`, `binding`) and other
 * endpoints can be given handlers.
 */
import { randomUUID } from 'node:crypto';
import { KubeApiError, resourcePath, type KubeList, type KubeObject, type RequestOptions, type ResourceRef, type WatchEvent } from '../../src/kube/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { MetricsRegistry, SharedInformers, type ApiClient, type ControllerContext } from '../../src/controlplane/common/controller.js';
import { own, setOwn } from '../../src/safe-keys.js';

interface Stored {
  collection: string;
  object: KubeObject;
}

interface HistoryEvent extends Stored {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
}

interface Watcher {
  collection: string;
  namespace?: string;
  push(event: HistoryEvent): void;
  fail(err: Error): void;
  end(): void;
}

export interface RecordedCall {
  method: string;
  path: string;
  body?: unknown;
}

type RequestHandler = (body: unknown, path: string) => unknown;

const collectionOf = (ref: ResourceRef) => `${ref.group ?? ''}/${ref.version}/${ref.resource}`;
const clone = <T>(value: T): T => structuredClone(value);
const notFound = (what: string) => new KubeApiError(404, 'NotFound', `${what} not found`);

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else setOwn(out, k, mergePatch(own(out, k), v));
  }
  return out;
}

export class FakeApi implements ApiClient {
  private rv = 0;
  private readonly objects = new Map<string, Stored>();
  private history: HistoryEvent[] = [];
  private compactedBelow = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly handlers: Array<{ method: string; pattern: RegExp; handler: RequestHandler }> = [];
  readonly calls: RecordedCall[] = [];
  /** Number of list calls, per collection. */
  readonly listCalls = new Map<string, number>();

  private keyOf(collection: string, namespace: string | undefined, name: string | undefined) {
    return `${collection}|${namespace ?? ''}|${name ?? ''}`;
  }

  private record(type: HistoryEvent['type'], collection: string, object: KubeObject) {
    const event: HistoryEvent = { rv: Number(object.metadata.resourceVersion), type, collection, object: clone(object) };
    this.history.push(event);
    for (const w of this.watchers) if (w.collection === collection && (!w.namespace || w.namespace === object.metadata.namespace)) w.push(event);
  }

  /** Seeds or replaces an object directly (no call recorded), as another component would. */
  put(ref: ResourceRef, object: KubeObject): KubeObject {
    const collection = collectionOf(ref);
    const key = this.keyOf(collection, object.metadata.namespace, object.metadata.name);
    const existed = this.objects.has(key);
    const stored = clone(object);
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.uid ??= existed ? this.objects.get(key)!.object.metadata.uid : randomUUID();
    stored.metadata.creationTimestamp ??= new Date().toISOString();
    this.objects.set(key, { collection, object: stored });
    this.record(existed ? 'MODIFIED' : 'ADDED', collection, stored);
    return clone(stored);
  }

  /** Removes an object directly, as another component would. */
  remove(ref: ResourceRef, namespace: string | undefined, name: string): void {
    const collection = collectionOf(ref);
    const key = this.keyOf(collection, namespace, name);
    const stored = this.objects.get(key);
    if (!stored) return;
    this.objects.delete(key);
    stored.object.metadata.resourceVersion = String(++this.rv);
    this.record('DELETED', collection, stored.object);
  }

  find<T extends KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string): T | undefined {
    const stored = this.objects.get(this.keyOf(collectionOf(ref), namespace, name));
    return stored && (clone(stored.object) as T);
  }

  all<T extends KubeObject>(ref: ResourceRef, namespace?: string): T[] {
    const collection = collectionOf(ref);
    return [...this.objects.values()].filter((s) => s.collection === collection && (!namespace || s.object.metadata.namespace === namespace)).map((s) => clone(s.object) as T);
  }

  /** Forgets history below the current version: watches from older versions get 410 Gone. */
  compact(): void {
    this.compactedBelow = this.rv;
    this.history = [];
  }

  /** Ends every open watch with a transport error. */
  breakWatches(): void {
    for (const w of [...this.watchers]) w.fail(new KubeApiError(0, '', 'connection reset'));
  }

  /** Ends every open watch cleanly, as a server-side watch timeout does. */
  endWatches(): void {
    for (const w of [...this.watchers]) w.end();
  }

  openWatches(): number {
    return this.watchers.size;
  }

  /** Answers `method path` (a regular expression over the path) with `handler(body)`. */
  on(method: string, pattern: RegExp, handler: RequestHandler): void {
    this.handlers.unshift({ method, pattern, handler });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    this.calls.push({ method, path, body: clone(options.body) });
    const h = this.handlers.find((x) => x.method === method && x.pattern.test(path));
    if (!h && method === 'DELETE') return this.deleteByPath(path, options.body) as T;
    if (!h) throw notFound(`${method} ${path}`);
    return h.handler(clone(options.body), path) as T;
  }

  /** DELETE of an object's path, honouring DeleteOptions preconditions (uid, resourceVersion). */
  private async deleteByPath(path: string, body: unknown): Promise<unknown> {
    for (const { collection, object } of this.objects.values()) {
      const [group, version, resource] = collection.split('/');
      const objectRef = { group: group || undefined, version: version!, resource: resource!, namespace: object.metadata.namespace, name: object.metadata.name };
      if (resourcePath(objectRef) !== path) continue;
      const pre = (body as { preconditions?: { uid?: string; resourceVersion?: string } } | undefined)?.preconditions ?? {};
      if ((pre.uid && pre.uid !== object.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== object.metadata.resourceVersion)) {
        throw new KubeApiError(409, 'Conflict', 'Precondition failed');
      }
      this.calls.pop();
      return this.delete(objectRef);
    }
    throw notFound(path);
  }

  async get<T extends KubeObject>(ref: ResourceRef): Promise<T> {
    const found = this.find<T>(ref, ref.namespace, ref.name!);
    if (!found) throw notFound(resourcePath(ref));
    return found;
  }

  async list<T extends KubeObject>(ref: ResourceRef): Promise<KubeList<T>> {
    const collection = collectionOf(ref);
    this.listCalls.set(collection, (this.listCalls.get(collection) ?? 0) + 1);
    return { metadata: { resourceVersion: String(this.rv) }, items: this.all<T>(ref, ref.namespace) };
  }

  async create<T extends KubeObject>(ref: ResourceRef, object: T): Promise<T> {
    const path = resourcePath({ ...ref, name: undefined });
    // A review (TokenReview, SubjectAccessReview) is answered by a handler, not stored.
    const h = this.handlers.find((x) => x.method === 'POST' && x.pattern.test(path));
    if (h) return this.request<T>('POST', path, { body: object });
    this.calls.push({ method: 'POST', path, body: clone(object) });
    const meta = { ...object.metadata };
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    if (ref.namespace) meta.namespace = ref.namespace;
    if (this.objects.has(this.keyOf(collectionOf(ref), meta.namespace, meta.name))) throw new KubeApiError(409, 'AlreadyExists', `${meta.name} already exists`);
    return this.put(ref, { ...object, metadata: { ...meta, uid: undefined, resourceVersion: undefined, generation: 1 } as KubeObject['metadata'] }) as T;
  }

  async update<T extends KubeObject>(ref: ResourceRef, object: T): Promise<T> {
    const path = resourcePath(ref);
    const h = ref.subresource && this.handlers.find((x) => x.method === 'PUT' && x.pattern.test(path));
    if (h) return this.request<T>('PUT', path, { body: object });
    this.calls.push({ method: 'PUT', path, body: clone(object) });
    const current = this.find(ref, ref.namespace, ref.name!);
    if (!current) throw notFound(path);
    if (object.metadata.resourceVersion && object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new KubeApiError(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const next = { ...object, metadata: { ...object.metadata, uid: current.metadata.uid } };
    if (ref.subresource === 'finalize' && next.metadata.deletionTimestamp && ((next.spec as { finalizers?: string[] })?.finalizers ?? []).length === 0) {
      this.remove(ref, ref.namespace, ref.name!);
      return next;
    }
    return this.put({ ...ref, subresource: undefined }, next) as T;
  }

  async patch<T extends KubeObject>(ref: ResourceRef, patch: unknown): Promise<T> {
    const path = resourcePath(ref);
    this.calls.push({ method: 'PATCH', path, body: clone(patch) });
    const current = this.find(ref, ref.namespace, ref.name!);
    if (!current) throw notFound(path);
    const wantedRv = (patch as { metadata?: { resourceVersion?: string } })?.metadata?.resourceVersion;
    if (wantedRv && wantedRv !== current.metadata.resourceVersion) throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    return this.put({ ...ref, subresource: undefined }, mergePatch(current, patch) as KubeObject) as T;
  }

  async delete(ref: ResourceRef): Promise<unknown> {
    const path = resourcePath(ref);
    this.calls.push({ method: 'DELETE', path });
    const current = this.find(ref, ref.namespace, ref.name!);
    if (!current) throw notFound(path);
    const specFinalizers = (current.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
    if ((current.metadata.finalizers ?? []).length > 0 || specFinalizers.length > 0) {
      if (!current.metadata.deletionTimestamp) this.put(ref, { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date().toISOString() } });
      return {};
    }
    this.remove(ref, ref.namespace, ref.name!);
    return {};
  }

  async *watch<T extends KubeObject>(ref: ResourceRef, query: RequestOptions['query'] = {}, signal?: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const from = Number(query?.resourceVersion ?? 0);
    if (from < this.compactedBelow) throw new KubeApiError(410, 'Expired', `too old resource version: ${from} (${this.compactedBelow})`);
    const collection = collectionOf(ref);
    const pending: HistoryEvent[] = this.history.filter((e) => e.rv > from && e.collection === collection && (!ref.namespace || e.object.metadata.namespace === ref.namespace));
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    let ended = false;
    const watcher: Watcher = {
      collection,
      namespace: ref.namespace,
      push: (e) => (pending.push(e), wake?.()),
      // A broken or ended watch delivers nothing that happens afterwards.
      fail: (err) => ((failure = err), this.watchers.delete(watcher), wake?.()),
      end: () => ((ended = true), this.watchers.delete(watcher), wake?.()),
    };
    this.watchers.add(watcher);
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        while (pending.length) {
          const e = pending.shift()!;
          yield { type: e.type, object: clone(e.object) as T };
        }
        if (failure) throw failure;
        if (ended || signal?.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.watchers.delete(watcher);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** A controller context over a FakeApi, with a memory logger and an abortable signal. */
export function fakeContext(api: FakeApi, now: () => Date = () => new Date()): ControllerContext & { abort: () => void; lines: string[] } {
  const controller = new AbortController();
  const log = createMemoryLogger(4);
  const informers = new SharedInformers(api, log);
  return { client: api, informers, signal: controller.signal, log, now, metrics: new MetricsRegistry(), abort: () => controller.abort(), lines: log.lines };
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const runningFakes: Array<() => void> = [];

/** Starts the informers and these loops against the fake; `stopFakes()` (in afterEach) ends them. */
export function runAgainstFake(api: FakeApi, ...loops: Array<{ run(ctx: ControllerContext): Promise<void> } | ((ctx: ControllerContext) => Promise<void>)>): ControllerContext & { lines: string[] } {
  const ctx = fakeContext(api);
  runningFakes.push(ctx.abort);
  ctx.informers.start(ctx.signal);
  for (const loop of loops) void (typeof loop === 'function' ? loop(ctx) : loop.run(ctx));
  return ctx;
}

export function stopFakes(): void {
  for (const abort of runningFakes.splice(0)) abort();
}
