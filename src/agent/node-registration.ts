/**
 * Registers the agent's Node and keeps its status, as the kubelet does: create the Node once the
 * API answers; if it exists already (an agent restart, a re-run of init) reconcile the labels the
 * kubelet owns and take it over rather than fail. Then every nodeStatusUpdateFrequency (10 s)
 * compute the status and post it through nodes/status only when it changed or when
 * nodeStatusReportFrequency (5 min) has passed, because the Lease is the heartbeat.
 * A Node deleted behind the agent's back is registered again.
 */
import type { Clock } from '../host/index.js';
import { isAlreadyExists, isNotFound, type KubeClient, type ResourceRef } from '../kube/index.js';
import type { Logger } from '../log.js';
import type { ApiConnection } from './api-connection.js';
import type { Component } from './component-manager.js';
import { metaTime, nodeLabels, nodeObject, nodeStatus, statusFingerprint, type ContainerImage, type NodeCondition, type NodeFacts, type NodeObject } from './node-object.js';
import { PeriodicComponent } from './periodic.js';
import { Listeners, type Unsubscribe } from './listeners.js';

export interface NodeRegistrationOptions {
  connection: ApiConnection;
  /** Machine facts, gathered once before the first registration (the kubelet port is known by then). */
  facts: () => Promise<NodeFacts>;
  clock: Clock;
  log: Logger;
  /** The images the container runtime holds, read at every status update; undefined without a runtime (or when it does not answer). */
  images?: () => Promise<ContainerImage[] | undefined>;
  /** Whether the agent considers itself ready (Ready condition). */
  readiness: () => { ok: boolean; message?: string };
  statusUpdateMs?: number;
  statusReportMs?: number;
}

export class NodeRegistration extends PeriodicComponent implements Component {
  readonly name = 'node-registration';
  private facts: NodeFacts | undefined;
  private uid: string | undefined;
  private conditions: NodeCondition[] = [];
  private posted: { fingerprint: string; at: number } | undefined;
  private readonly listeners = new Listeners<[uid: string]>();

  constructor(private readonly options: NodeRegistrationOptions) {
    super({ name: 'node status', intervalMs: options.statusUpdateMs ?? 10_000, log: options.log });
  }

  protected override wire(): Unsubscribe[] {
    return [this.options.connection.onConnected(() => this.loop.trigger())];
  }

  /** The registered Node's uid, once registered. */
  nodeUid(): string | undefined {
    return this.uid;
  }

  /** Called with the Node's uid when it is registered (again). */
  onRegistered(listener: (uid: string) => void): Unsubscribe {
    if (this.uid) listener(this.uid);
    return this.listeners.add(listener);
  }

  private ref(facts: NodeFacts, subresource?: string): ResourceRef {
    return { version: 'v1', resource: 'nodes', name: facts.nodeName, ...(subresource ? { subresource } : {}) };
  }

  protected async sync(signal: AbortSignal): Promise<void> {
    const client = this.options.connection.client(signal);
    if (!client) return;
    this.facts ??= await this.options.facts();
    if (!this.uid) await this.register(client, this.facts);
    else await this.updateStatus(client, this.facts);
  }

  private async register(client: KubeClient, facts: NodeFacts): Promise<void> {
    const { log, clock, readiness } = this.options;
    const now = clock.now();
    let node: NodeObject;
    try {
      node = await client.create<NodeObject>(this.ref(facts), nodeObject(facts, metaTime(now), readiness()));
      log.info(`agent: registered node ${facts.nodeName}`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      node = await client.patch<NodeObject>(this.ref(facts), { metadata: { labels: nodeLabels(facts) } }, 'merge');
      log.info(`agent: node ${facts.nodeName} was already registered; taking it over`);
    }
    this.conditions = node.status?.conditions ?? [];
    this.posted = undefined;
    await this.updateStatus(client, facts);
    this.uid = node.metadata.uid!;
    this.listeners.emit(this.uid);
  }

  private async updateStatus(client: KubeClient, facts: NodeFacts): Promise<void> {
    const images = await this.options.images?.();
    const now = this.options.clock.now();
    const status = nodeStatus(facts, metaTime(now), this.options.readiness(), this.conditions, images);
    const fingerprint = statusFingerprint(status);
    const reportMs = this.options.statusReportMs ?? 300_000;
    if (this.posted && this.posted.fingerprint === fingerprint && now.getTime() - this.posted.at < reportMs) return;
    try {
      await client.patch(this.ref(facts, 'status'), { status }, 'merge');
    } catch (err) {
      if (isNotFound(err)) {
        this.options.log.warn(`agent: node ${facts.nodeName} is gone from the API; registering it again`);
        this.uid = undefined;
        this.loop.trigger();
        return;
      }
      throw err;
    }
    this.conditions = status.conditions;
    this.posted = { fingerprint, at: now.getTime() };
  }
}
