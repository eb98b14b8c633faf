/**
 * Pods from the API server (the kubelet's apiserver source + pod workers + status manager):
 * every pod bound to this node that is not a mirror pod runs through its runner (runner-choice.ts)
 * in its own PodWorker; its status goes to pods/<name>/status when it changes; Events record what
 * happened. A pod marked for deletion has its containers stopped within its grace period and is
 * then deleted for good (grace 0, uid precondition). On the first round, pods the runtime still
 * holds whose API object is gone are stopped. Lists every `resyncMs` and on every watch event.
 */
import { isConflict, isNotFound, type KubeClient, type KubeObject, type ResourceRef } from '../kube/index.js';
import type { Component, StopMode } from './component-manager.js';
import type { Unsubscribe } from './listeners.js';
import type { ApiConnection } from './api-connection.js';
import { CONFIG_MIRROR_ANNOTATION } from './mirror-pod.js';
import { podSpecHash, type Pod, type StaticPod } from './pod.js';
import { podEvent } from './pod-events.js';
import { PodWorker, type PodWorkerOptions } from './pod-worker.js';
import { PeriodicComponent } from './periodic.js';
import { API_SOURCE_PREFIX } from './runner-choice.js';
import type { PodRunner } from './runner.js';
import type { StaticPodView } from './static-pods.js';

export interface ApiPodsOptions extends Omit<PodWorkerOptions, 'onStatusChange' | 'onEvent' | 'runner'> {
  nodeName: string;
  connection: ApiConnection;
  runnerFor(pod: StaticPod): PodRunner;
  /** Runtimes whose leftover pods are reconciled on the first round. */
  runtimes: PodRunner[];
  resyncMs?: number;
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

  constructor(private readonly options: ApiPodsOptions) {
    super({ name: 'pods', intervalMs: options.resyncMs ?? 5000, log: options.log });
  }

  pods(): StaticPodView[] {
    return [...this.entries.values()].flatMap((e) => (e.worker ? [{ pod: e.worker.pod, status: e.worker.podStatus() }] : []));
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  protected override wire(): Unsubscribe[] {
    return [this.options.connection.onConnected((client) => this.watch(client))];
  }

  /** Triggers a round on every change of a pod bound to this node; a broken watch is opened again. */
  private watch(client: KubeClient): void {
    this.watching?.abort();
    const controller = new AbortController();
    this.watching = controller;
    void (async () => {
      while (!controller.signal.aborted) {
        try {
          for await (const _event of client.watch(podRef(''), { fieldSelector: `spec.nodeName=${this.options.nodeName}` }, controller.signal)) this.loop.trigger();
        } catch {
          // Ended or failed: the periodic list covers the gap; wait a little before watching again.
        }
        if (!controller.signal.aborted) await new Promise((r) => setTimeout(r, 1000));
      }
    })();
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
    for (const pod of pods) {
      const entry = this.entries.get(pod.metadata.uid);
      if (pod.metadata.deletionTimestamp) {
        this.finish(client, pod, entry);
        continue;
      }
      if (entry) {
        entry.pod = pod;
        continue;
      }
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      await this.startWorker(pod);
    }
    for (const [uid, entry] of this.entries) {
      if (!seen.has(uid) && !entry.finishing && entry.worker) {
        this.options.log.info(`agent: ${entry.worker.name} was deleted from the API; stopping it`);
        entry.finishing = entry.worker.stop(0).finally(() => this.forget(uid));
      }
    }
    for (const entry of this.entries.values()) if (!entry.finishing && entry.worker) await this.postStatus(client, entry.worker, entry);
  }

  private async startWorker(pod: ApiPod): Promise<void> {
    const staticPod = apiStaticPod(pod);
    const runner = this.options.runnerFor(staticPod);
    const uid = pod.metadata.uid;
    const worker = new PodWorker(staticPod, {
      ...this.options,
      runner,
      onStatusChange: () => {
        this.loop.trigger();
        for (const l of this.listeners) l();
      },
      onEvent: (type, reason, message) => this.record(staticPod.pod, type, reason, message),
    });
    this.entries.set(uid, { worker, pod });
    this.options.log.info(`agent: starting pod ${worker.name}`);
    await worker.start().catch((err) => this.options.log.warn(`agent: starting ${worker.name} failed: ${(err as Error).message}`));
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
    await super.stop();
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
