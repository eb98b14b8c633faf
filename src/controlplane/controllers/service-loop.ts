/**
 * The loop the endpointslice and endpoints controllers share: a queue of Service keys, filled
 * by Service events, by Pod events (every Service in the pod's namespace that selects it before
 * or after the change) and by events on the objects the controller writes (so an edited or
 * deleted slice is repaired). Each key syncs with the Service (undefined once deleted), the
 * pods of its namespace, and the controller's own objects for it.
 */
import type { KubeObject, ResourceRef } from '../../kube/index.js';
import { contextQueue, objectKey, runQueue, untilAborted, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { selects, type Service, type ServicePod } from './service-endpoints.js';

export interface ServiceLoop<T extends KubeObject> {
  name: string;
  /** The kind the controller writes. */
  owned: ResourceRef;
  /** The Service key an owned object belongs to, or undefined when this controller does not manage it. */
  serviceKeyOf(object: T): string | undefined;
  sync(key: string, service: Service | undefined, pods: ServicePod[], owned: T[]): Promise<void>;
}

export async function runServiceLoop<T extends KubeObject>(ctx: ControllerContext, loop: ServiceLoop<T>): Promise<void> {
  const services = ctx.informers.informerFor<Service>(ref('services'));
  const pods = ctx.informers.informerFor<ServicePod>(ref('pods'));
  const owned = ctx.informers.informerFor<T>(loop.owned);
  const queue = contextQueue(ctx, loop.name);
  const forPod = (...versions: ServicePod[]) => {
    for (const service of services.list()) if (versions.some((pod) => selects(service, pod))) queue.add(objectKey(service));
  };
  const forOwned = (object: T) => {
    const key = loop.serviceKeyOf(object);
    if (key) queue.add(key);
  };
  services.on({ add: (s) => queue.add(objectKey(s)), update: (_, s) => queue.add(objectKey(s)), delete: (s) => queue.add(objectKey(s)) });
  pods.on({ add: (p) => forPod(p), update: (old, p) => forPod(old, p), delete: (p) => forPod(p) });
  owned.on({ add: forOwned, update: (_, o) => forOwned(o), delete: forOwned });
  await Promise.all([services.synced(), pods.synced(), owned.synced()]);
  const sync = async (key: string) => {
    const [namespace] = key.split('/');
    const mine = owned.list().filter((o) => loop.serviceKeyOf(o) === key);
    await loop.sync(key, services.get(key), pods.list().filter((p) => p.metadata.namespace === namespace), mine);
  };
  await Promise.race([runQueue(ctx, queue, 5, sync), untilAborted(ctx.signal)]);
}
