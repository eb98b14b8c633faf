/**
 * garbagecollector: upstream's three ways an owner's deletion reaches its dependents (objects
 * whose metadata.ownerReferences name the owner's uid), over the kinds in GC_RESOURCES:
 * - Background: a dependent whose owners are all gone is deleted. "Gone" is confirmed by a
 *   live GET (404, or that name now holds another uid) and the delete carries the dependent's
 *   uid, so informer lag never deletes a live dependent.
 * - Foreground: an owner being deleted with the `foregroundDeletion` finalizer has its
 *   dependents deleted (in the foreground too when they have dependents); the finalizer comes off once
 *   no dependent with blockOwnerDeletion=true remains, so the owner goes last.
 * - Orphan: an owner being deleted with the `orphan` finalizer has its reference removed from
 *   every dependent, then the finalizer comes off.
 * Runs when an object changes or is deleted, and every 30 s.
 */
import { isNotFound, refFor, resourcePath, type KubeObject } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type ApiClient, type Controller, type ControllerContext } from '../common/controller.js';
import { ref, type ResourceName } from '../common/resources.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../apiserver/gc-deletion.js';

/** The kinds collected (as dependents) and watched (as owners). */
export const GC_RESOURCES: ResourceName[] = ['pods', 'replicasets', 'deployments', 'daemonsets', 'statefulsets', 'controllerrevisions', 'jobs', 'cronjobs'];
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

const hasFinalizer = (object: KubeObject, name: string) => Boolean(object.metadata.deletionTimestamp) && (object.metadata.finalizers ?? []).includes(name);
const refersTo = (dependent: KubeObject, owner: KubeObject) => dependent.metadata.ownerReferences?.find((r) => r.uid === owner.metadata.uid);

export interface OwnerStep {
  /** Dependents to delete now, with the policy for their own dependents. */
  delete: Array<{ dependent: KubeObject; policy: 'Foreground' | 'Background' }>;
  /** Dependents to drop the owner's reference from. */
  orphan: KubeObject[];
  /** The finalizer that may come off the owner now. */
  release?: string;
}

/** What an owner being deleted with `orphan` or `foregroundDeletion` needs, given its dependents. Pure. */
export function ownerStep(owner: KubeObject, dependents: KubeObject[], ownerAlive: (ref: OwnerReference, dependent: KubeObject) => boolean): OwnerStep {
  const mine = dependents.filter((d) => refersTo(d, owner));
  if (hasFinalizer(owner, ORPHAN_FINALIZER)) return { delete: [], orphan: mine, release: mine.length === 0 ? ORPHAN_FINALIZER : undefined };
  if (!hasFinalizer(owner, FOREGROUND_FINALIZER)) return { delete: [], orphan: [] };
  const blocking = mine.filter((d) => refersTo(d, owner)?.blockOwnerDeletion);
  // A dependent another live owner still holds is not deleted (upstream drops the reference).
  const deletable = mine.filter((d) => !d.metadata.deletionTimestamp && (d.metadata.ownerReferences ?? []).every((r) => r.uid === owner.metadata.uid || !ownerAlive(r, d)));
  return {
    // upstream: in the foreground too when the dependent has dependents of its own.
    delete: deletable.map((dependent) => ({ dependent, policy: dependents.some((d) => refersTo(d, dependent)) ? 'Foreground' : 'Background' })),
    orphan: mine.filter((d) => !deletable.includes(d) && !d.metadata.deletionTimestamp),
    release: blocking.length === 0 ? FOREGROUND_FINALIZER : undefined,
  };
}

export const garbageCollectorController: Controller = {
  name: 'garbagecollector',
  async run(ctx: ControllerContext) {
    const informers = GC_RESOURCES.map((resource) => ({ resource, informer: ctx.informers.informerFor<KubeObject>(ref(resource)) }));
    const queue = contextQueue(ctx, 'garbage_collector_attempt_to_delete');
    const informerOf = (resource: string) => informers.find((i) => i.resource === resource)!.informer;
    const everything = () => informers.flatMap(({ resource, informer }) => informer.list().map((object) => ({ resource, object })));
    const enqueue = (resource: string, o: KubeObject) => {
      if (o.metadata.ownerReferences?.length || o.metadata.deletionTimestamp) queue.add(`${resource}|${objectKey(o)}`);
    };
    const scanAll = () => everything().forEach(({ resource, object }) => enqueue(resource, object));
    /** When an owner changes or goes, its dependents (and itself) are looked at again. */
    const ownerChanged = (owner: KubeObject) => {
      for (const { resource, object } of everything()) if (refersTo(object, owner)) enqueue(resource, object);
    };
    /** A dependent that goes or drops a reference may unblock the owners it named. */
    const ownersOf = (o: KubeObject) => {
      const uids = new Set((o.metadata.ownerReferences ?? []).map((r) => r.uid));
      for (const { resource, object } of everything()) if (object.metadata.deletionTimestamp && uids.has(object.metadata.uid!)) enqueue(resource, object);
    };
    for (const { resource, informer } of informers) {
      informer.on({
        add: (o) => enqueue(resource, o),
        update: (old, o) => {
          enqueue(resource, o);
          if (o.metadata.deletionTimestamp) ownerChanged(o);
          ownersOf(old);
        },
        delete: (o) => {
          ownerChanged(o);
          ownersOf(o);
        },
      });
    }
    await Promise.all(informers.map((i) => i.informer.synced()));
    const timer = setInterval(scanAll, RESYNC_MS);
    ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    scanAll();

    const deleteObject = async (resource: ResourceName, object: KubeObject, policy: 'Foreground' | 'Background') => {
      const path = resourcePath(ref(resource, object.metadata.namespace, object.metadata.name));
      try {
        await ctx.client.request('DELETE', path, { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: policy, preconditions: { uid: object.metadata.uid } } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    };
    const patchObject = async (resource: ResourceName, object: KubeObject, metadata: Record<string, unknown>) => {
      try {
        await ctx.client.patch(ref(resource, object.metadata.namespace, object.metadata.name), { metadata: { ...metadata, uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    };
    const resourceOf = (object: KubeObject) => everything().find((e) => e.object.metadata.uid === object.metadata.uid)?.resource;
    const liveOwner = (r: OwnerReference, dependent: KubeObject) => everything().some((e) => e.object.metadata.uid === r.uid && e.object.metadata.namespace === dependent.metadata.namespace && !e.object.metadata.deletionTimestamp);

    const syncOwner = async (resource: ResourceName, owner: KubeObject) => {
      const step = ownerStep(owner, everything().map((e) => e.object).filter((d) => d.metadata.namespace === owner.metadata.namespace), liveOwner);
      for (const { dependent, policy } of step.delete) await deleteObject(resourceOf(dependent)!, dependent, policy);
      for (const dependent of step.orphan) {
        await patchObject(resourceOf(dependent)!, dependent, { ownerReferences: (dependent.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid) });
      }
      if (step.release) {
        await patchObject(resource, owner, { finalizers: (owner.metadata.finalizers ?? []).filter((f) => f !== step.release) });
        ctx.log.debug(2, `[garbagecollector] ${resource} ${objectKey(owner)}: dependents handled, removed the ${step.release} finalizer`);
      }
    };
    const syncDependent = async (resource: ResourceName, dependent: KubeObject) => {
      const present = new Map<string, boolean>();
      for (const owner of dependent.metadata.ownerReferences ?? []) present.set(owner.uid, await ownerExists(ctx.client, owner, dependent.metadata.namespace));
      if (!isGarbage(dependent, (o) => present.get(o.uid) ?? true)) return;
      await deleteObject(resource, dependent, 'Background');
      ctx.log.debug(2, `[garbagecollector] deleted ${resource} ${objectKey(dependent)}: its owners are gone`);
    };
    const sync = async (key: string) => {
      const [resource, objKey] = key.split('|') as [ResourceName, string];
      const object = informerOf(resource).get(objKey);
      if (!object) return;
      if (hasFinalizer(object, ORPHAN_FINALIZER) || hasFinalizer(object, FOREGROUND_FINALIZER)) await syncOwner(resource, object);
      if (object.metadata.ownerReferences?.length) await syncDependent(resource, object);
    };
    await Promise.race([runQueue(ctx, queue, 2, sync), untilAborted(ctx.signal)]);
  },
};
