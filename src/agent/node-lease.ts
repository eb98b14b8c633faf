/**
 * The node heartbeat: Lease kube-node-lease/<node> renewed every 10 s (a quarter of its 40 s
 * duration, as the kubelet's lease controller), holder the node name, owned by the Node. It
 * starts once the Node is registered (the owner reference needs its uid). A renewal replaces
 * the Lease it last saw; a conflict or a missing Lease is resolved by reading it again or creating it.
 */
import type { Clock } from '../host/index.js';
import { isConflict, isNotFound, type KubeClient, type ResourceRef } from '../kube/index.js';
import type { Logger } from '../log.js';
import type { ApiConnection } from './api-connection.js';
import type { Component } from './component-manager.js';
import { NODE_LEASE_NAMESPACE, nodeLease, type LeaseObject } from './node-object.js';
import type { NodeRegistration } from './node-registration.js';
import { PeriodicComponent } from './periodic.js';
import type { Unsubscribe } from './listeners.js';

export interface NodeLeaseOptions {
  nodeName: string;
  connection: ApiConnection;
  registration: NodeRegistration;
  clock: Clock;
  log: Logger;
  durationSeconds?: number;
  renewMs?: number;
}

export class NodeLease extends PeriodicComponent implements Component {
  readonly name = 'node-lease';
  private last: LeaseObject | undefined;
  private readonly ref: ResourceRef;

  constructor(private readonly options: NodeLeaseOptions) {
    super({ name: 'node lease', intervalMs: options.renewMs ?? ((options.durationSeconds ?? 40) * 1000) / 4, log: options.log });
    this.ref = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: NODE_LEASE_NAMESPACE, name: options.nodeName };
  }

  protected override wire(): Unsubscribe[] {
    return [
      this.options.registration.onRegistered(() => {
        this.last = undefined;
        this.loop.trigger();
      }),
    ];
  }

  protected async sync(signal: AbortSignal): Promise<void> {
    const client = this.options.connection.client(signal);
    const uid = this.options.registration.nodeUid();
    if (!client || !uid) return;
    const desired = nodeLease(this.options.nodeName, uid, this.options.durationSeconds ?? 40, this.options.clock.now());
    try {
      this.last = await this.write(client, desired);
    } catch (err) {
      this.last = undefined;
      throw err;
    }
  }

  private async write(client: KubeClient, desired: LeaseObject, retried = false): Promise<LeaseObject> {
    if (!this.last) {
      try {
        this.last = await client.get<LeaseObject>(this.ref);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        return client.create(this.ref, desired);
      }
    }
    try {
      return await client.update(this.ref, { ...desired, metadata: { ...this.last.metadata, ...desired.metadata } });
    } catch (err) {
      if (retried || (!isConflict(err) && !isNotFound(err))) throw err;
      this.last = undefined;
      return this.write(client, desired, true);
    }
  }
}
