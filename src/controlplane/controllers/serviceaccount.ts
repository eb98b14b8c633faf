/**
 * serviceaccount: a `default` ServiceAccount in every active namespace (re-created when
 * deleted); root-ca-cert-publisher: ConfigMap `kube-root-ca.crt` with `ca.crt` (the
 * --root-ca-file) in every active namespace, restored when edited or deleted. Terminating
 * namespaces are left alone, as upstream.
 */
import { isAlreadyExists, isNotFound, type KubeObject } from '../../kube/index.js';
import { contextQueue, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref, type ResourceName } from '../common/resources.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

const active = (namespace: KubeObject) => !namespace.metadata.deletionTimestamp && (namespace.status as { phase?: string } | undefined)?.phase !== 'Terminating';

function defaultServiceAccount(namespace: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } };
}

export function rootCAConfigMap(namespace: string, caPem: string): ConfigMapObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } }, data: { 'ca.crt': caPem } };
}

/** What the publisher must do in a namespace: nothing, create the ConfigMap, or restore its data. */
export function rootCAAction(namespace: KubeObject, existing: ConfigMapObject | undefined, caPem: string): 'none' | 'create' | 'update' {
  if (!active(namespace)) return 'none';
  if (!existing) return 'create';
  const data = existing.data ?? {};
  return Object.keys(data).length === 1 && data['ca.crt'] === caPem ? 'none' : 'update';
}

export const needsDefaultServiceAccount = (namespace: KubeObject, existing: KubeObject | undefined) => active(namespace) && !existing;

/** One controller per namespace-scoped object that must exist in every namespace. */
function perNamespaceController(name: string, resource: ResourceName, objectName: string, ensure: (ctx: ControllerContext, namespace: KubeObject, existing: KubeObject | undefined) => Promise<void>): Controller {
  return {
    name,
    async run(ctx) {
      const namespaces = ctx.informers.informerFor<KubeObject>(ref('namespaces'));
      const objects = ctx.informers.informerFor<KubeObject>(ref(resource));
      const queue = contextQueue(ctx, name.replace(/-/g, '_'));
      namespaces.on({ add: (n) => queue.add(n.metadata.name!), update: (_, n) => queue.add(n.metadata.name!) });
      const onObject = (o: KubeObject) => o.metadata.name === objectName && queue.add(o.metadata.namespace!);
      objects.on({ update: (_, o) => onObject(o), delete: onObject });
      await Promise.all([namespaces.synced(), objects.synced()]);
      const sync = async (namespace: string) => {
        const ns = namespaces.get(namespace);
        if (!ns) return;
        try {
          await ensure(ctx, ns, objects.get(`${namespace}/${objectName}`));
        } catch (err) {
          // The namespace went away meanwhile, or the object appeared: nothing to do. Anything
          // else (a 403 from RBAC included) is retried with back-off and logged.
          if (isNotFound(err) || isAlreadyExists(err)) return;
          throw err;
        }
      };
      await Promise.race([runQueue(ctx, queue, 2, sync), untilAborted(ctx.signal)]);
    },
  };
}

export const serviceAccountController: Controller = perNamespaceController('serviceaccount', 'serviceaccounts', 'default', async (ctx, ns, existing) => {
  if (!needsDefaultServiceAccount(ns, existing)) return;
  await ctx.client.create(ref('serviceaccounts', ns.metadata.name), defaultServiceAccount(ns.metadata.name!));
});

export function rootCACertPublisherController(caPem: string | undefined): Controller {
  const controller = perNamespaceController('root-ca-cert-publisher', 'configmaps', ROOT_CA_CONFIGMAP, async (ctx, ns, existing) => {
    const namespace = ns.metadata.name!;
    const action = rootCAAction(ns, existing, caPem!);
    if (action === 'create') await ctx.client.create(ref('configmaps', namespace), rootCAConfigMap(namespace, caPem!));
    if (action === 'update') {
      const wanted = rootCAConfigMap(namespace, caPem!);
      await ctx.client.update(ref('configmaps', namespace, ROOT_CA_CONFIGMAP), { ...existing!, data: wanted.data, metadata: { ...existing!.metadata, annotations: { ...existing!.metadata.annotations, ...wanted.metadata.annotations } } });
    }
  });
  return {
    name: controller.name,
    async run(ctx) {
      if (!caPem) {
        ctx.log.warn('[root-ca-cert-publisher] no --root-ca-file: kube-root-ca.crt is not published');
        return;
      }
      await controller.run(ctx);
    },
  };
}
