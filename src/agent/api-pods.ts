/**
 * Pods from the API server (the kubelet's apiserver source + pod workers + status manager):
 * every pod bound to this node that is not a mirror pod runs through its runner (runner-choice.ts)
 * in its own PodWorker; its status goes to pods/<name>/status when it changes; Events record what
 * happened. A pod marked for deletion has its containers stopped within its grace period and is
 * then deleted for good (grace 0, uid precondition). On the first round, pods the runtime still
 * holds whose API object is gone are stopped.
 *
 * Pods come from the watch (each event's object is applied at once) and a list every `resyncMs`
 * that catches what a broken watch missed. New pods start concurrently, `parallelStarts` at a
 * time: a pod's start is mostly waiting on the runtime (sandbox, network, container), so one pod
 * after another left the runtime idle between them. Workers sync when the runner reports a change
 * of their containers (the CRI runner's PLEG) and otherwise every `podResyncMs`. Statuses are
 * posted by their own loop, only those that changed, so a status change costs one PATCH and not a
 * list of every pod on the node.
 */
import { isConflict, isNotFound, type KubeClient, type KubeObject, type ResourceRef, type WatchEvent } from '../kube/index.js';
import type { Component, StopMode } from './component-manager.js';
import type { Unsubscribe } from './listeners.js';
import type { ApiConnection } from './api-connection.js';
import { CONFIG_MIRROR_ANNOTATION } from './mirror-pod.js';
import { podSpecHash, type Pod, type StaticPod } from './pod.js';
import { podEvent } from './pod-events.js';
import { PodWorker, type PodWorkerOptions } from './pod-worker.js';
import { Periodic, PeriodicComponent } from './periodic.js';
import { API_SOURCE_PREFIX } from './runner-choice.js';
import type { PodRunner } from './runner.js';
import type { StaticPodView } from './static-pods.js';

export interface ApiPodsOptions extends Omit<PodWorkerOptions, 'onStatusChange' | 'onEvent' | 'runner'> {
  nodeName: string;
  connection: ApiConnection;
  runnerFor(pod: StaticPod): PodRunner;
  /** Runtimes whose leftover pods are reconciled on the first round. */
  runtimes: PodRunner[];
  /** The periodic list of the node's pods (5 s). */
  resyncMs?: number;
  /** How many pods start at the same time (4). */
  parallelStarts?: number;
  /** How often a worker re-checks its containers when its runner reports nothing (the kubelet's syncFrequency; 10 s). */
  podResyncMs?: number;
}

type ApiPod = KubeObject & { metadata: Pod['metadata'] & { deletionTimestamp?: string; deletionGracePeriodSeconds?: number }; spec: Pod['spec'] & { nodeName?: string }; status?: { phase?: string } };

interface Entry {
  /** Undefined for a pod that is only being deleted (this agent never ran it). */
  worker?: PodWorker;
  pod: ApiPod;
  posted?: string;
  finishing?: Promise<void>;
}

const podRef = (namespace: string, name?: string, subresource?: string): ResourceRef => ({ version: 'v1', resource: 'pods', namespace, ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) });

export function apiStaticPod(pod: ApiPod): StaticPod {
  const { metadata, spec } = pod;
  return {
    pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: metadata.name, namespace: metadata.namespace ?? 'default', uid: metadata.uid, labels: metadata.labels, annotations: metadata.annotations }, spec },
    source: `${API_SOURCE_PREFIX}${metadata.namespace}/${metadata.name}`,
    specHash: podSpecHash(spec),
  };
}

export class ApiPods extends PeriodicComponent implements Component {
  readonly name = 'api-pods';
  private readonly entries = new Map<string, Entry>();
  private reconciled = false;
  private watching: AbortController | undefined;
  private seq = 0;
  private readonly listeners: (() => void)[] = [];
  /** Workers waiting for their turn to start, and how many are starting now. */
  private readonly queued: PodWorker[] = [];
  private starting = 0;
  private readonly statuses: Periodic;

  constructor(private readonly options: ApiPodsOptions) {
    super({ name: 'pods', intervalMs: options.resyncMs ?? 5000, log: options.log });
    this.statuses = new Periodic({ name: 'pod status', intervalMs: options.resyncMs ?? 5000, log: options.log }, (signal) => this.postStatuses(signal));
  }

  pods(): StaticPodView[] {
    return [...this.entries.values()].flatMap((e) => (e.worker ? [{ pod: e.worker.pod, status: e.worker.podStatus() }] : []));
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  override async start(): Promise<void> {
    await super.start();
    this.statuses.start();
  }

  protected override wire(): Unsubscribe[] {
    return [
      this.options.connection.onConnected((client) => this.watch(client)),
      // A container that started, exited or vanished: its pod's worker syncs now.
      ...this.options.runtimes.map((runtime) => runtime.onContainerExit((podUid) => void this.entries.get(podUid)?.worker?.requestSync())),
    ];
  }

  /** Applies every change of a pod bound to this node as it comes; a broken watch is opened again. */
  private watch(client: KubeClient): void {
    this.watching?.abort();
    const controller = new AbortController();
    this.watching = controller;
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          for await (const event of client.watch<ApiPod>(podRef(''), { fieldSelector: `spec.nodeName=${this.options.nodeName}` }, controller.signal)) this.onWatchEvent(client, event);
        } catch {
          // Ended or failed: the periodic list covers the gap; wait a little before watching again.
        }
        if (!controller.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
      }
    })();
  }

  private onWatchEvent(client: KubeClient, event: WatchEvent<ApiPod>): void {
    const pod = event.object;
    if (event.type === 'BOOKMARK') return;
    // Until the first list has reconciled the runtime with the API, the list does everything; an ERROR (410 Gone) asks for a list too.
    if (!this.reconciled || event.type === 'ERROR') return this.loop.trigger();
    if (pod.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined) return;
    if (event.type === 'DELETED') {
      const entry = this.entries.get(pod.metadata.uid);
      if (entry) this.gone(pod.metadata.uid, entry);
      return;
    }
    this.apply(client, pod);
    this.statuses.trigger();
  }

  private record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const client = this.options.connection.client();
    if (!client) return;
    const event = podEvent(pod, this.options.nodeName, type, reason, message, this.options.clock.now(), this.seq++);
    void client.create({ version: 'v1', resource: 'events', namespace: pod.metadata.namespace }, event).catch(() => {});
  }

  /** Records an Event for the pod with this uid (the CRI runner's Pulling, Created, Started, …). */
  recordFor(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.record(pod, type, reason, message);
  }

  protected async sync(signal: AbortSignal): Promise<void> {
    const client = this.options.connection.client(signal);
    if (!client) return;
    const list = await client.list<ApiPod>(podRef(''), { fieldSelector: `spec.nodeName=${this.options.nodeName}` });
    const pods = list.items.filter((p) => p.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION] === undefined);
    const seen = new Set(pods.map((p) => p.metadata.uid));
    if (!this.reconciled) {
      for (const runtime of this.options.runtimes) {
        for (const held of await runtime.listPods().catch(() => [])) {
          if (seen.has(held.pod.metadata.uid)) continue;
          this.options.log.info(`agent: stopping ${held.pod.metadata.namespace}/${held.pod.metadata.name}: its pod is gone from the API`);
          await runtime.stopPod(held, this.options.defaultGracePeriodMs).catch((err) => this.options.log.warn(`agent: ${(err as Error).message}`));
        }
      }
      this.reconciled = true;
    }
    for (const pod of pods) this.apply(client, pod);
    for (const [uid, entry] of this.entries) if (!seen.has(uid)) this.gone(uid, entry);
    this.statuses.trigger();
  }

  /** One pod as the API has it now: started when new, finished when marked for deletion. */
  private apply(client: KubeClient, pod: ApiPod): void {
    const entry = this.entries.get(pod.metadata.uid);
    if (pod.metadata.deletionTimestamp) return this.finish(client, pod, entry);
    if (entry) {
      entry.pod = pod;
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    this.startWorker(pod);
  }

  /** The pod is gone from the API (deleted at once, not gracefully): its containers stop now. */
  private gone(uid: string, entry: Entry): void {
    if (entry.finishing || !entry.worker) return;
    this.options.log.info(`agent: ${entry.worker.name} was deleted from the API; stopping it`);
    entry.finishing = entry.worker.stop(0).finally(() => this.forget(uid));
  }

  private startWorker(pod: ApiPod): void {
    const staticPod = apiStaticPod(pod);
    const runner = this.options.runnerFor(staticPod);
    const worker = new PodWorker(staticPod, {
      ...this.options,
      runner,
      syncIntervalMs: this.options.podResyncMs ?? 10_000,
      onStatusChange: () => {
        this.statuses.trigger();
        for (const l of this.listeners) l();
      },
      onEvent: (type, reason, message) => this.record(staticPod.pod, type, reason, message),
    });
    this.entries.set(pod.metadata.uid, { worker, pod });
    this.queued.push(worker);
    this.startQueued();
  }

  /** Starts queued workers while fewer than `parallelStarts` are starting. */
  private startQueued(): void {
    while (this.starting < (this.options.parallelStarts ?? 4) && this.queued.length > 0) {
      const worker = this.queued.shift()!;
      if (this.entries.get(worker.pod.pod.metadata.uid)?.worker !== worker) continue; // gone meanwhile
      this.starting++;
      this.options.log.info(`agent: starting pod ${worker.name}`);
      void worker
        .start()
        .catch((err) => this.options.log.warn(`agent: starting ${worker.name} failed: ${(err as Error).message}`))
        .finally(() => {
          this.starting--;
          this.startQueued();
        });
    }
  }

  /** Graceful deletion: stop the containers within the grace period, then delete the pod for good. */
  private finish(client: KubeClient, pod: ApiPod, entry: Entry | undefined): void {
    if (entry?.finishing) return;
    const graceMs = (pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const stop = entry?.worker ? entry.worker.stop(graceMs) : Promise.resolve();
    const finishing = stop
      .then(() => client.request<unknown>('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } } }))
      .catch((err) => {
        if (!isNotFound(err) && !isConflict(err)) this.options.log.warn(`agent: deleting pod ${pod.metadata.namespace}/${pod.metadata.name}: ${(err as Error).message}`);
      })
      .then(() => undefined)
      .finally(() => this.forget(pod.metadata.uid));
    if (entry) entry.finishing = finishing;
    else this.entries.set(pod.metadata.uid, { pod, finishing });
  }

  private forget(uid: string): void {
    this.entries.delete(uid);
    for (const l of this.listeners) l();
  }

  /** Posts every status that changed since it was last posted, all at once (the client's pool bounds them). */
  private async postStatuses(signal: AbortSignal): Promise<void> {
    const client = this.options.connection.client(signal);
    if (!client) return;
    const results = await Promise.allSettled([...this.entries.values()].map((entry) => (!entry.finishing && entry.worker ? this.postStatus(client, entry.worker, entry) : undefined)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async postStatus(client: KubeClient, worker: PodWorker, entry: Entry): Promise<void> {
    const status = worker.podStatus();
    const text = JSON.stringify(status);
    if (entry.posted === text) return;
    const { namespace, name } = entry.pod.metadata;
    try {
      await client.patch(podRef(namespace!, name, 'status'), { status: { ...status, qosClass: undefined } }, 'merge');
      entry.posted = text;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** `terminate` stops every pod's containers; `detach` leaves them running for the next agent. */
  override async stop(mode: StopMode = 'terminate'): Promise<void> {
    this.watching?.abort();
    this.queued.length = 0;
    await super.stop();
    await this.statuses.stop();
    await Promise.all(
      [...this.entries.values()].map(async (e) => {
        if (e.finishing) return e.finishing;
        if (!e.worker) return;
        return mode === 'detach' ? e.worker.detach() : e.worker.stop();
      }),
    );
    this.entries.clear();
  }
}
