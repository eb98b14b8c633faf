/**
 * namespace: empties a namespace that is being deleted. For a namespace with a
 * deletionTimestamp it finds every namespaced resource the API serves that can be listed and
 * deleted (from discovery), deletes the objects in the namespace, and once none is left
 * removes the `kubernetes` finalizer through PUT /api/v1/namespaces/<name>/finalize, after
 * which the API server removes the namespace. Objects still going away re-queue it.
 */
import { isConflict, isNotFound, resourcePath, type KubeObject, type ResourceRef } from '../../kube/index.js';
import { runInformerLoop, type ApiClient, type Controller, type ControllerContext } from '../common/controller.js';
import type { WorkQueue } from '../common/workqueue.js';
import { ref } from '../common/resources.js';

export interface APIResource {
  name: string;
  namespaced: boolean;
  verbs: string[];
}

export interface DiscoveredGroupVersion {
  groupVersion: string;
  resources: APIResource[];
}

/** The resources to empty: namespaced, listable and deletable, no subresources; events last. */
export function deletableResources(discovered: DiscoveredGroupVersion[]): ResourceRef[] {
  const out: ResourceRef[] = [];
  const seen = new Set<string>();
  for (const { groupVersion, resources } of discovered) {
    const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion];
    for (const r of resources) {
      if (!r.namespaced || r.name.includes('/') || !r.verbs.includes('list') || !r.verbs.includes('delete')) continue;
      const key = `${group}/${r.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ group: group || undefined, version: version!, resource: r.name });
    }
  }
  const last = (r: ResourceRef) => (r.resource === 'events' ? 1 : 0);
  return out.sort((a, b) => last(a) - last(b));
}

const isTerminating = (namespace: KubeObject) => Boolean(namespace.metadata.deletionTimestamp);

/** The namespace with the `kubernetes` finalizer removed from spec.finalizers. */
export function finalizedNamespace(namespace: KubeObject): KubeObject {
  const spec = (namespace.spec ?? {}) as { finalizers?: string[] };
  return { ...namespace, spec: { ...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== 'kubernetes') } };
}

async function discover(client: ApiClient): Promise<DiscoveredGroupVersion[]> {
  const core = await client.request<{ resources: APIResource[] }>('GET', '/api/v1');
  const out: DiscoveredGroupVersion[] = [{ groupVersion: 'v1', resources: core.resources ?? [] }];
  const groups = await client.request<{ groups?: Array<{ preferredVersion?: { groupVersion: string } }> }>('GET', '/apis');
  for (const g of groups.groups ?? []) {
    const gv = g.preferredVersion?.groupVersion;
    if (!gv) continue;
    try {
      const list = await client.request<{ resources?: APIResource[] }>('GET', `/apis/${gv}`);
      out.push({ groupVersion: gv, resources: list.resources ?? [] });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return out;
}

export const namespaceController: Controller = {
  name: 'namespace',
  async run(ctx: ControllerContext) {
    const sync = async (_ns: KubeObject, name: string, queue: WorkQueue) => {
      let remaining = 0;
      for (const resource of deletableResources(await discover(ctx.client))) {
        const list = await ctx.client.list({ ...resource, namespace: name });
        for (const item of list.items ?? []) {
          remaining++;
          if (item.metadata.deletionTimestamp) continue;
          try {
            await ctx.client.delete({ ...resource, namespace: name, name: item.metadata.name });
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
      }
      if (remaining > 0) {
        // Deleted objects (and those with finalizers) take a moment to go; look again shortly.
        queue.addAfter(name, 1000);
        return;
      }
      try {
        const current = await ctx.client.get({ ...ref('namespaces', undefined, name) });
        await ctx.client.update({ ...ref('namespaces', undefined, name, 'finalize') }, finalizedNamespace(current));
        ctx.log.info(`[namespace] namespace ${name} is empty; finalized (${resourcePath(ref('namespaces', undefined, name, 'finalize'))})`);
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
        if (isConflict(err)) queue.add(name);
      }
    };
    await runInformerLoop(ctx, { name: 'namespace', informer: ctx.informers.informerFor<KubeObject>(ref('namespaces')), accept: isTerminating, workers: 2, sync });
  },
};
