/**
 * The pod lifecycle event generator, as the kubelet's GenericPLEG: one ListContainers for the
 * whole node every relist period, compared with the previous one. Every container that appeared,
 * changed state or went away is reported with its pod's uid and container name, so that pod's
 * worker syncs at once. Pod workers then need no polling of their own: before, each one asked the
 * runtime every second (ListContainers + ContainerStatus per container: with 30 pods, 60+ CRI
 * calls a second on a node). The relist runs only while someone listens.
 */
import { Listeners, type Unsubscribe } from '../listeners.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from './pod-config.js';

/** What the relist keeps of a container: enough to see it change. */
export interface ContainerRecord {
  podUid: string;
  name: string;
  state: string;
}

/** A CRI Container as ListContainers returns it (the fields the relist reads). */
export interface ListedContainer {
  id: string;
  state: string;
  metadata?: { name?: string };
  labels?: Record<string, string>;
}

/** The containers of pods this agent made (they carry the pod uid label), by container id. */
export function containerRecords(listed: ListedContainer[]): Map<string, ContainerRecord> {
  const records = new Map<string, ContainerRecord>();
  for (const c of listed) {
    const podUid = c.labels?.[POD_UID_LABEL];
    if (!podUid) continue;
    records.set(c.id, { podUid, name: c.labels?.[CONTAINER_NAME_LABEL] ?? c.metadata?.name ?? '', state: c.state });
  }
  return records;
}

/** The containers that appeared, changed state or went away between two relists (pure). */
export function containerChanges(before: Map<string, ContainerRecord>, after: Map<string, ContainerRecord>): ContainerRecord[] {
  const changed: ContainerRecord[] = [];
  for (const [id, now] of after) if (before.get(id)?.state !== now.state) changed.push(now);
  for (const [id, was] of before) if (!after.has(id)) changed.push({ ...was, state: 'CONTAINER_REMOVED' });
  return changed;
}

export interface PlegOptions {
  /** One ListContainers of every container on the node. */
  list(): Promise<ListedContainer[]>;
  /** The relist period (the kubelet's is 1 s). */
  relistMs: number;
  /** A failed relist (runtime down or restarting); the next one tries again. */
  onError?(err: Error): void;
}

export class Pleg {
  private readonly listeners = new Listeners<[podUid: string, containerName: string]>();
  private last: Map<string, ContainerRecord> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private relisting = false;

  constructor(private readonly options: PlegOptions) {}

  /** Listens for container changes; the first listener starts the relist, the last one leaving stops it. */
  subscribe(listener: (podUid: string, containerName: string) => void): Unsubscribe {
    const remove = this.listeners.add(listener);
    this.timer ??= setInterval(() => void this.relist(), this.options.relistMs).unref();
    return () => {
      remove();
      if (this.listeners.size > 0) return;
      clearInterval(this.timer);
      this.timer = undefined;
      this.last = undefined;
    };
  }

  /** One relist: the first only records what runs (workers sync on their own when they start). */
  async relist(): Promise<void> {
    if (this.relisting) return;
    this.relisting = true;
    try {
      const now = containerRecords(await this.options.list());
      if (this.listeners.size === 0) return; // unsubscribed meanwhile: keep no stale record
      const before = this.last;
      this.last = now;
      if (before) for (const c of containerChanges(before, now)) this.listeners.emit(c.podUid, c.name);
    } catch (err) {
      this.options.onError?.(err as Error);
    } finally {
      this.relisting = false;
    }
  }
}
