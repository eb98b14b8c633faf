/**
 * The API server's storage: JSON objects in etcd (the only code that talks to etcd).
 * resourceVersion is the key's mod revision; creates and updates are compare-and-swap
 * transactions; lists read at one pinned revision and page with continue tokens.
 */
import { GRPCDeadlineExceededError, type Etcd3, type IKeyValue, type IRangeResponse, type Watcher } from 'etcd3';
import type { ObjectMeta as ClientObjectMeta } from '../../kube/client.js';
import { isTooLargeError } from './etcd-client.js';
import type { ValueTransformer } from './encryption.js';
import { ApiError, apiErrors } from './status.js';

export type KubeObject = Record<string, unknown> & { metadata?: ObjectMeta };
/** The clients' ObjectMeta, plus what only the server reads: generation and any other field as stored. */
export interface ObjectMeta extends ClientObjectMeta {
  generation?: number;
  [field: string]: unknown;
}

export interface StoredObject {
  object: KubeObject;
  revision: number;
}

export interface ListPage {
  items: KubeObject[];
  revision: number;
  continueKey: string | undefined;
  remaining: number;
}

/** The etcd "range end" that selects every key starting with `prefix`. */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] as number) + 1;
  return end;
}

export function decodeObject(kv: IKeyValue): KubeObject {
  const object = JSON.parse(kv.value.toString('utf8')) as KubeObject;
  object.metadata = { ...(object.metadata ?? {}), resourceVersion: kv.mod_revision };
  return object;
}

/** Stored layout: kind, apiVersion, metadata (without resourceVersion) first, as upstream's JSON. */
export function encodeObject(object: KubeObject): Buffer {
  const meta = { ...(object.metadata ?? {}) };
  delete meta.resourceVersion;
  const { kind, apiVersion, metadata: _metadata, ...rest } = object;
  return Buffer.from(JSON.stringify({ kind, apiVersion, metadata: meta, ...rest }));
}

const STORED_PREFIX = /^\{"kind":"(?:[^"\\]|\\.)*","apiVersion":"(?:[^"\\]|\\.)*","metadata":\{/;

/**
 * The stored JSON with metadata.resourceVersion spliced in, without decoding it: the hot path
 * of GET. Undefined when the value does not have the layout encodeObject writes.
 */
export function withResourceVersion(value: Buffer, revision: string): Buffer | undefined {
  const match = STORED_PREFIX.exec(value.subarray(0, 512).toString('latin1'));
  if (!match) return undefined;
  const at = match[0].length;
  const field = `"resourceVersion":"${revision}"${value[at] === 0x7d ? '' : ','}`;
  return Buffer.concat([value.subarray(0, at), Buffer.from(field), value.subarray(at)]);
}

export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && /compacted/i.test(err.message);
}

function storageError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isCompactedError(err)) return apiErrors.gone('The resourceVersion for the provided list is too old.');
  // Upstream passes etcd's own error on (a 500 "etcdserver: request is too large"), for this request only.
  if (isTooLargeError(err)) return new ApiError(500, '', 'etcdserver: request is too large');
  if (err instanceof GRPCDeadlineExceededError) return new ApiError(504, 'Timeout', `Timeout: etcd did not answer within the request timeout (${err.message})`);
  if (err instanceof Error && /future revision/i.test(err.message)) {
    return new ApiError(504, 'Timeout', 'Too large resource version: the requested revision is newer than the current one');
  }
  return apiErrors.unavailable(`etcd: ${err instanceof Error ? err.message : String(err)}`);
}

/** Called with each etcd operation's name and duration (for /metrics). */
export type EtcdObserver = (operation: string, seconds: number) => void;

async function timed<T>(observer: EtcdObserver | undefined, operation: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } catch (err) {
    throw storageError(err);
  } finally {
    observer?.(operation, (performance.now() - started) / 1000);
  }
}

export class Storage {
  /**
   * `requestTimeoutMs` bounds what the client's call deadlines do not: creating a watch (a
   * stream) against a member that accepts the connection but does not answer.
   */
  constructor(
    readonly client: Etcd3,
    private readonly observer?: EtcdObserver,
    private readonly requestTimeoutMs = 60_000,
    /** Encryption at rest (encryption.ts): applied to every value written and read. */
    private readonly transformer?: ValueTransformer,
  ) {}

  /** An etcd key-value as the object it stores (decrypted when encryption at rest is on). */
  decode(kv: IKeyValue): KubeObject {
    return decodeObject(this.transformer ? { ...kv, value: this.plain(kv) } : kv);
  }

  private plain(kv: IKeyValue): Buffer {
    return this.transformer ? this.transformer.fromStorage(kv.key.toString('utf8'), kv.value) : kv.value;
  }

  private encode(key: string, object: KubeObject): Buffer {
    const value = encodeObject(object);
    return this.transformer ? this.transformer.toStorage(key, value) : value;
  }

  /**
   * An etcd watch of every key under `prefix` from `fromRevision` (with each event's previous
   * value when asked). Errors as etcd3 raises them (a compacted revision stays recognisable for
   * the caller's 410), except a watch not created within the request timeout: 504.
   */
  async watch(prefix: string, fromRevision: number, previous: boolean): Promise<Watcher> {
    const builder = this.client.watch().prefix(prefix).startRevision(String(fromRevision));
    const pending = (previous ? builder.withPreviousKV() : builder).create();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GRPCDeadlineExceededError('etcd did not create the watch within the request timeout')), this.requestTimeoutMs);
    });
    try {
      return await Promise.race([pending, expired]);
    } catch (err) {
      // A watch created after its deadline belongs to nobody: cancel it when it arrives.
      void pending.then((late) => late.cancel()).catch(() => undefined);
      throw isCompactedError(err) ? err : storageError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  private guarded<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return timed(this.observer, operation, work);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const res = await this.guarded('get', () => this.client.kv.range({ key: Buffer.from(key) }));
    const kv = res.kvs[0];
    return kv ? { object: this.decode(kv), revision: Number(kv.mod_revision) } : undefined;
  }

  /** The object's JSON as served (with its resourceVersion), or undefined when absent. */
  async getEncoded(key: string): Promise<Buffer | undefined> {
    const res = await this.guarded('get', () => this.client.kv.range({ key: Buffer.from(key) }));
    const kv = res.kvs[0];
    if (!kv) return undefined;
    return withResourceVersion(this.plain(kv), kv.mod_revision) ?? Buffer.from(JSON.stringify(this.decode(kv)));
  }

  /** Creates `key` only if it does not exist; returns the stored object with its resourceVersion. */
  async create(key: string, object: KubeObject): Promise<KubeObject | undefined> {
    const k = Buffer.from(key);
    const res = await this.guarded('create', () =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: this.encode(key, object) } }],
        failure: [],
      }),
    );
    if (!res.succeeded) return undefined;
    return { ...object, metadata: { ...object.metadata, resourceVersion: res.header.revision } };
  }

  /** Replaces `key` only if its mod revision is still `expected`; undefined on conflict. */
  async update(key: string, object: KubeObject, expected: number): Promise<KubeObject | undefined> {
    const k = Buffer.from(key);
    const res = await this.guarded('update', () =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expected }],
        success: [{ request_put: { key: k, value: this.encode(key, object) } }],
        failure: [],
      }),
    );
    if (!res.succeeded) return undefined;
    return { ...object, metadata: { ...object.metadata, resourceVersion: res.header.revision } };
  }

  /** Deletes `key` only if its mod revision is still `expected`; false on conflict. */
  async delete(key: string, expected: number): Promise<number | undefined> {
    const k = Buffer.from(key);
    const res = await this.guarded('delete', () =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expected }],
        success: [{ request_delete_range: { key: k } }],
        failure: [],
      }),
    );
    return res.succeeded ? Number(res.header.revision) : undefined;
  }

  /** Deletes `key` whatever its revision (allocation records, not API objects). */
  async remove(key: string): Promise<void> {
    await this.guarded('delete', () => this.client.kv.deleteRange({ key: Buffer.from(key) }));
  }

  /**
   * Reads up to `limit` objects under `prefix` that pass `keep`, starting at `startKey`,
   * all at one revision (the current one, or `revision` when continuing a list).
   */
  async list(prefix: string, options: { limit?: number; startKey?: string; revision?: number; keep?: (o: KubeObject) => boolean }): Promise<ListPage> {
    const end = prefixEnd(prefix);
    const items: KubeObject[] = [];
    let start = Buffer.from(options.startKey ?? prefix);
    let revision = options.revision ?? 0;
    const want = options.limit && options.limit > 0 ? options.limit : 0;
    for (;;) {
      const batch = want ? Math.max(want - items.length, 100) : 0;
      const res: IRangeResponse = await this.guarded('list', () =>
        this.client.kv.range({ key: start, range_end: end, limit: batch, ...(revision ? { revision } : {}) }),
      );
      if (!revision) revision = Number(res.header.revision);
      for (let i = 0; i < res.kvs.length; i++) {
        const kv = res.kvs[i] as IKeyValue;
        const object = this.decode(kv);
        if (options.keep && !options.keep(object)) continue;
        items.push(object);
        if (want && items.length === want) {
          const hasMore = i < res.kvs.length - 1 || res.more;
          const remaining = Number(res.count) - i - 1;
          return { items, revision, continueKey: hasMore ? `${kv.key.toString('utf8')}\u0000` : undefined, remaining };
        }
      }
      if (!res.more || res.kvs.length === 0) return { items, revision, continueKey: undefined, remaining: 0 };
      start = Buffer.concat([(res.kvs.at(-1) as IKeyValue).key, Buffer.from([0])]);
    }
  }

  /** The current etcd revision; throws when no member answers (within `timeoutMs` when given). */
  async currentRevision(timeoutMs?: number): Promise<number> {
    const options = timeoutMs ? { deadline: Date.now() + timeoutMs } : undefined;
    const res = await this.guarded('revision', () => this.client.kv.range({ key: Buffer.from('/'), limit: 1, count_only: true }, options));
    return Number(res.header.revision);
  }

  /** Throws 410 Gone when `revision` has been compacted away. */
  async checkNotCompacted(revision: number): Promise<void> {
    if (revision <= 0) return;
    await this.guarded('compaction-check', () => this.client.kv.range({ key: Buffer.from('/'), limit: 1, count_only: true, revision }));
  }

  close(): void {
    this.client.close();
  }
}
