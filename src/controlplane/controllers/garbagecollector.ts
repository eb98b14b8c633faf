/**
 * garbagecollector (cheap form): deletes pods and ReplicaSets whose owners are all gone —
 * an owner counts as gone when the API answers 404 for it or holds an object of that name
 * with another uid. Absence seen in the caches is always confirmed by a live GET before a
 * delete (with a uid precondition), so informer lag never deletes a live dependent. Runs when
 * an owner is deleted and every 30 s. Foreground deletion and orphaning are not implemented.
 */
import { isNotFound, refFor, resourcePath, type KubeObject } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type ApiClient, type Controller, type ControllerContext } from '../common/controller.js';
import { ref, type ResourceName } from '../common/resources.js';

const DEPENDENTS: ResourceName[] = ['pods', 'replicasets'];
const RESYNC_MS = 30_000;

type OwnerReference = NonNullable<KubeObject['metadata']['ownerReferences']>[number];

/** Whether the owner still exists (same uid), asked of the API. */
async function ownerExists(client: ApiClient, owner: OwnerReference, namespace: string | undefined): Promise<boolean> {
  let ownerRef;
  try {
    ownerRef = refFor({ apiVersion: owner.apiVersion, kind: owner.kind, metadata: { name: owner.name, namespace } });
  } catch {
    return true; // a kind we cannot look up: never collect on a guess
  }
  try {
    const current = await client.get(ownerRef);
    return current.metadata.uid === owner.uid;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** A dependent is garbage when it has owners and none of them exists. */
export function isGarbage(dependent: KubeObject, exists: (owner: OwnerReference) => boolean): boolean {
  const owners = dependent.metadata.ownerReferences ?? [];
  return owners.length > 0 && !dependent.metadata.deletionTimestamp && owners.every((o) => !exists(o));
}

export const garbageCollectorController: Controller = {
  name: 'garbagecollector',
  async run(ctx: ControllerContext) {
    const informers = DEPENDENTS.map((r) => ({ resource: r, informer: ctx.informers.informerFor<KubeObject>(ref(r)) }));
    const deployments = ctx.informers.informerFor<KubeObject>(ref('deployments'));
    const queue = contextQueue(ctx, 'garbage_collector_attempt_to_delete');
    const scanAll = () => {
      for (const { resource, informer } of informers) for (const o of informer.list()) if (o.metadata.ownerReferences?.length) queue.add(`${resource}|${objectKey(o)}`);
    };
    for (const { informer } of [...informers, { informer: deployments }]) informer.on({ delete: scanAll });
    await Promise.all([...informers.map((i) => i.informer.synced()), deployments.synced()]);
    const timer = setInterval(scanAll, RESYNC_MS);
    ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    scanAll();
    const sync = async (key: string) => {
      const [resource, objKey] = key.split('|') as [ResourceName, string];
      const dependent = informers.find((i) => i.resource === resource)!.informer.get(objKey);
      if (!dependent?.metadata.ownerReferences?.length) return;
      const present = new Map<string, boolean>();
      for (const owner of dependent.metadata.ownerReferences) present.set(owner.uid, await ownerExists(ctx.client, owner, dependent.metadata.namespace));
      if (!isGarbage(dependent, (o) => present.get(o.uid) ?? true)) return;
      const path = resourcePath(ref(resource, dependent.metadata.namespace, dependent.metadata.name));
      try {
        await ctx.client.request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', preconditions: { uid: dependent.metadata.uid } } });
        ctx.log.debug(2, `[garbagecollector] deleted ${resource} ${objKey}: its owners are gone`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    };
    await Promise.race([runQueue(ctx, queue, 2, sync), untilAborted(ctx.signal)]);
  },
};
