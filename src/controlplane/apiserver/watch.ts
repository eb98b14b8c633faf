/**
 * Watch streams built on etcd watch: from a resourceVersion (or from "now", replaying the
 * current objects as ADDED), filtered by namespace and selectors (an object leaving the
 * selection is a DELETED event, entering it an ADDED), with BOOKMARK events and a 410
 * ERROR event when the revision has been compacted.
 *
 * A watcher that does not read is closed, as upstream's cacher closes a watcher whose buffer
 * is full: when an event arrives while more than WATCH_BUFFER_BYTES sent earlier still wait
 * for the client (after the initial replay has drained), the stream is cut and its memory
 * freed; the client relists and watches again, as every client does after a closed watch.
 */
import type { ServerResponse } from 'node:http';
import type { IEvent, IKeyValue } from 'etcd3';
import { groupVersion, type ResourceType } from './resources.js';
import type { Predicate } from './selectors.js';
import { ApiError, apiErrors } from './status.js';
import { decodeObject, isCompactedError, type KubeObject, type Storage } from './storage.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface WatchOptions {
  prefix: string;
  /** 0: from now. */
  fromRevision: number;
  /**
   * sendInitialEvents: the current objects as ADDED first, then (with `bookmarks`) a BOOKMARK
   * annotated k8s.io/initial-events-end at the revision they were read at.
   */
  initialEvents: boolean;
  keep: Predicate;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutMs: number;
  /** Turns each object into what the client asked for (e.g. a Table row); identity by default. */
  transform?: (object: KubeObject) => KubeObject;
  /** Told when the stream is cut because the client does not read (apiserver_terminated_watchers_total). */
  onTerminated?: () => void;
}

/** What a watcher may leave unread before it counts as unresponsive. */
export const WATCH_BUFFER_BYTES = 1024 * 1024;

/** Maps one etcd event to the watch event a filtered watcher sees, if any. */
export function toWatchEvent(event: IEvent, keep: Predicate, decode: (kv: IKeyValue) => KubeObject = decodeObject): WatchEvent | undefined {
  const current = event.type === 'Delete' ? undefined : decode(event.kv);
  const previous = event.prev_kv && event.prev_kv.value.length > 0 ? decode(event.prev_kv) : undefined;
  const wasIn = previous !== undefined && keep(previous);
  if (current === undefined) {
    if (!previous || !wasIn) return undefined;
    return { type: 'DELETED', object: { ...previous, metadata: { ...previous.metadata, resourceVersion: event.kv.mod_revision } } };
  }
  const isIn = keep(current);
  if (isIn) return { type: wasIn ? 'MODIFIED' : 'ADDED', object: current };
  if (wasIn) return { type: 'DELETED', object: current };
  return undefined;
}

export async function serveWatch(storage: Storage, type: ResourceType, options: WatchOptions, res: ServerResponse): Promise<void> {
  const transform = options.transform ?? ((o: KubeObject) => o);
  let revision = options.fromRevision;
  const initial: KubeObject[] = [];
  if (options.initialEvents) {
    const page = await storage.list(options.prefix, { keep: options.keep });
    initial.push(...page.items);
    revision = page.revision;
  } else if (revision === 0) {
    revision = await storage.currentRevision();
  } else {
    const current = await storage.currentRevision();
    await storage.checkNotCompacted(Math.min(revision, current));
  }
  const watcher = await storage.watch(options.prefix, revision + 1, true).catch((err: unknown) => {
    throw isCompactedError(err) ? apiErrors.gone(`too old resource version: ${revision}`) : err;
  });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  // The client learns at once that the watch is established, even when nothing happens for a while.
  res.flushHeaders();
  const send = (event: WatchEvent) => res.write(`${JSON.stringify({ type: event.type, object: event.type === 'ERROR' || event.type === 'BOOKMARK' ? event.object : transform(event.object) })}\n`);
  for (const object of initial) send({ type: 'ADDED', object });
  if (options.initialEvents && options.bookmarks) {
    send({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(revision), annotations: { 'k8s.io/initial-events-end': 'true' } } } });
  }
  // The replay may exceed the budget; it only counts until the client has taken it.
  let allowance = WATCH_BUFFER_BYTES + res.writableLength;
  res.on('drain', () => (allowance = WATCH_BUFFER_BYTES));
  let lastSent = revision;
  let finished = false;
  const finish = (unresponsive = false) => {
    if (finished) return;
    finished = true;
    clearInterval(bookmarkTimer);
    clearTimeout(timeout);
    void watcher.cancel().catch(() => undefined);
    if (unresponsive) {
      options.onTerminated?.();
      res.destroy();
    } else res.end();
  };
  watcher.on('data', (response) => {
    if (finished) return;
    if (res.writableLength > allowance) return finish(true);
    for (const event of response.events) {
      const watchEvent = toWatchEvent(event, options.keep, (kv) => storage.decode(kv));
      lastSent = Math.max(lastSent, Number(event.kv.mod_revision));
      if (watchEvent) send(watchEvent);
    }
  });
  watcher.on('error', (err) => {
    const status = isCompactedError(err) ? apiErrors.gone(`too old resource version: ${revision}`) : new ApiError(500, 'InternalError', err.message);
    send({ type: 'ERROR', object: status.toStatus() as unknown as KubeObject });
    finish();
  });
  const bookmarkTimer = setInterval(() => {
    if (options.bookmarks) send({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(lastSent) } } });
  }, options.bookmarkIntervalMs);
  const timeout = setTimeout(() => finish(), options.timeoutMs);
  res.on('close', () => finish());
}
