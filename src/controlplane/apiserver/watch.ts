/**
 * Watch streams built on etcd watch: from a resourceVersion (or from "now", replaying the
 * current objects as ADDED), filtered by namespace and selectors (an object leaving the
 * selection is a DELETED event, entering it an ADDED), with BOOKMARK events and a 410
 * ERROR event when the revision has been compacted.
 */
import type { ServerResponse } from 'node:http';
import type { IEvent, Watcher } from 'etcd3';
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
}

/** Maps one etcd event to the watch event a filtered watcher sees, if any. */
export function toWatchEvent(event: IEvent, keep: Predicate): WatchEvent | undefined {
  const current = event.type === 'Delete' ? undefined : decodeObject(event.kv);
  const previous = event.prev_kv && event.prev_kv.value.length > 0 ? decodeObject(event.prev_kv) : undefined;
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
  let watcher: Watcher;
  try {
    watcher = await storage.client.watch().prefix(options.prefix).startRevision(String(revision + 1)).withPreviousKV().create();
  } catch (err) {
    throw isCompactedError(err) ? apiErrors.gone(`too old resource version: ${revision}`) : err;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  const send = (event: WatchEvent) => res.write(`${JSON.stringify({ type: event.type, object: event.type === 'ERROR' || event.type === 'BOOKMARK' ? event.object : transform(event.object) })}\n`);
  for (const object of initial) send({ type: 'ADDED', object });
  if (options.initialEvents && options.bookmarks) {
    send({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(revision), annotations: { 'k8s.io/initial-events-end': 'true' } } } });
  }
  let lastSent = revision;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearInterval(bookmarkTimer);
    clearTimeout(timeout);
    void watcher.cancel().catch(() => undefined);
    res.end();
  };
  watcher.on('data', (response) => {
    for (const event of response.events) {
      const watchEvent = toWatchEvent(event, options.keep);
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
  const timeout = setTimeout(finish, options.timeoutMs);
  res.on('close', finish);
}
