/**
 * Mirror pods (the kubelet's mirror client + status manager for static pods): for every static
 * pod, a Pod `<name>-<node>` in its namespace, marked with kubernetes.io/config.mirror, bound to
 * this node and owned by the Node, whose status (phase, conditions, container states, restart
 * counts, IPs, start time) follows the pod's through the pods/status subresource. A mirror whose
 * config hash no longer matches (the manifest changed) is deleted and created again; mirrors of
 * static pods that are gone are deleted. Runs on every pod change and resyncs every 10 s.
 */
import type { Clock } from '../host/index.js';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient, type KubeObject, type ResourceRef } from '../kube/index.js';
import type { Logger } from '../log.js';
import type { ApiConnection } from './api-connection.js';
import type { Component } from './component-manager.js';
import type { Unsubscribe } from './listeners.js';
import { CONFIG_MIRROR_ANNOTATION, mirrorPodFor, type MirrorPod } from './mirror-pod.js';
import type { NodeRegistration } from './node-registration.js';
import { PeriodicComponent } from './periodic.js';
import type { StaticPodView } from './static-pods.js';

export interface MirrorPodsOptions {
  nodeName: string;
  connection: ApiConnection;
  registration: NodeRegistration;
  pods: () => StaticPodView[];
  onChange: (listener: () => void) => Unsubscribe;
  clock: Clock;
  log: Logger;
  resyncMs?: number;
}

type ApiPod = KubeObject & { spec?: { nodeName?: string }; status?: unknown };

const podRef = (namespace: string, name?: string, subresource?: string): ResourceRef => ({
  version: 'v1',
  resource: 'pods',
  namespace,
  ...(name ? { name } : {}),
  ...(subresource ? { subresource } : {}),
});

const keyOf = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export class MirrorPods extends PeriodicComponent implements Component {
  readonly name = 'mirror-pods';
  /** When each static pod (by uid) was first seen: its config.seen annotation. */
  private readonly seen = new Map<string, string>();

  constructor(private readonly options: MirrorPodsOptions) {
    super({ name: 'mirror pods', intervalMs: options.resyncMs ?? 10_000, log: options.log });
  }

  protected override wire(): Unsubscribe[] {
    return [this.options.onChange(() => this.loop.trigger()), this.options.registration.onRegistered(() => this.loop.trigger())];
  }

  /** The mirror pods this node should have now, by namespace/name; static pods that are gone are forgotten. */
  private desired(nodeUid: string): Map<string, MirrorPod> {
    const now = this.options.clock.now().toISOString();
    const wanted = new Map<string, MirrorPod>();
    const views = this.options.pods();
    const current = new Set(views.map((view) => view.pod.pod.metadata.uid));
    for (const uid of this.seen.keys()) if (!current.has(uid)) this.seen.delete(uid);
    for (const view of views) {
      const uid = view.pod.pod.metadata.uid;
      if (!this.seen.has(uid)) this.seen.set(uid, now);
      const mirror = mirrorPodFor(view, this.options.nodeName, this.seen.get(uid)!, nodeUid);
      wanted.set(keyOf(mirror), mirror);
    }
    return wanted;
  }

  /** How many static pods it remembers a first-seen time for (the pods the agent has now). */
  rememberedPods(): number {
    return this.seen.size;
  }

  protected async sync(signal: AbortSignal): Promise<void> {
    const client = this.options.connection.client(signal);
    const nodeUid = this.options.registration.nodeUid();
    if (!client || !nodeUid) return;
    const wanted = this.desired(nodeUid);
    const list = await client.list<ApiPod>({ version: 'v1', resource: 'pods' }, { fieldSelector: `spec.nodeName=${this.options.nodeName}` });
    const existing = new Map(list.items.filter((p) => p.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined).map((p) => [keyOf(p), p]));
    for (const [key, pod] of existing) {
      if (wanted.has(key)) continue;
      this.options.log.info(`agent: deleting mirror pod ${key}: its static pod is gone`);
      await this.deleteIfPresent(client, pod);
    }
    for (const [key, mirror] of wanted) await this.syncOne(client, mirror, existing.get(key));
  }

  private async deleteIfPresent(client: KubeClient, pod: KubeObject): Promise<void> {
    try {
      await client.delete(podRef(pod.metadata.namespace!, pod.metadata.name!));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async syncOne(client: KubeClient, mirror: MirrorPod, current: ApiPod | undefined): Promise<void> {
    const { namespace, name } = mirror.metadata as { namespace: string; name: string };
    const stale =
      current &&
      (current.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION] !== mirror.metadata.annotations[CONFIG_MIRROR_ANNOTATION] ||
        current.metadata.ownerReferences?.[0]?.uid !== mirror.metadata.ownerReferences?.[0]?.uid);
    if (stale) {
      this.options.log.info(`agent: replacing mirror pod ${namespace}/${name}: its static pod changed`);
      await this.deleteIfPresent(client, current);
    }
    let stored = stale ? undefined : current;
    if (!stored) {
      try {
        stored = await client.create<ApiPod>(podRef(namespace), mirror as unknown as ApiPod);
      } catch (err) {
        // Created meanwhile (a deletion still in flight, or a racing resync): the next sync reconciles.
        if (isAlreadyExists(err)) return this.loop.trigger();
        throw err;
      }
    }
    if (JSON.stringify(stored.status) === JSON.stringify(mirror.status)) return;
    try {
      await client.update(podRef(namespace, name, 'status'), { ...stored, status: mirror.status });
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return this.loop.trigger();
      throw err;
    }
  }
}
