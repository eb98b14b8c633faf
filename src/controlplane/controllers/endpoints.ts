/**
 * endpoints: the v1 Endpoints of every Service with a selector, named as the Service, as
 * upstream's endpoints controller writes them: ready pods under `addresses`, unready ones under
 * `notReadyAddresses` (all under `addresses` with publishNotReadyAddresses, which also keeps
 * terminating pods; otherwise a pod being deleted drops out), addresses grouped into subsets by
 * their resolved port set (a pod missing a named targetPort is left out of that port), the
 * Service's labels plus `service.kubernetes.io/headless`. The Endpoints of a deleted Service go
 * with it; Endpoints this controller did not write (no trigger-time annotation) are left alone.
 */
import { isNotFound, type KubeObject } from '../../kube/index.js';
import type { Controller, ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { runServiceLoop } from './service-loop.js';
import { derivedLabels, managesEndpoints, podEndpoints, portsKey, targetRef, type EndpointPort, type PodEndpoint, type Service } from './service-endpoints.js';

export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: ReturnType<typeof targetRef>;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

const address = (e: PodEndpoint): EndpointAddress => ({ ip: e.ip, ...(e.hostname ? { hostname: e.hostname } : {}), ...(e.pod.spec.nodeName ? { nodeName: e.pod.spec.nodeName } : {}), targetRef: targetRef(e.pod) });
const byIp = (a: EndpointAddress, b: EndpointAddress) => a.ip.localeCompare(b.ip, 'en', { numeric: true });

/** The subsets for these endpoints (upstream's RepackSubsets: one subset per distinct port set). */
export function endpointSubsets(service: Service, endpoints: readonly PodEndpoint[]): EndpointSubset[] {
  const hasPorts = (service.spec.ports ?? []).length > 0;
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const e of endpoints) {
    // A headless Service without ports lists its pods without ports; otherwise a pod needs one.
    if (hasPorts && e.ports.length === 0) continue;
    const key = portsKey(e.ports);
    const group = groups.get(key) ?? { ports: [...e.ports].sort((a, b) => a.name.localeCompare(b.name)), ready: [], notReady: [] };
    (service.spec.publishNotReadyAddresses || e.serving ? group.ready : group.notReady).push(address(e));
    groups.set(key, group);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => ({
    ...(g.ready.length ? { addresses: g.ready.sort(byIp) } : {}),
    ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
    ...(hasPorts ? { ports: g.ports } : {}),
  }));
}

const content = (e: Endpoints) => JSON.stringify([e.metadata.labels ?? {}, e.subsets ?? []]);

export const endpointsController: Controller = {
  name: 'endpoint',
  async run(ctx: ControllerContext) {
    await runServiceLoop<Endpoints>(ctx, {
      name: 'endpoint',
      owned: ref('endpoints'),
      serviceKeyOf: (e) => `${e.metadata.namespace}/${e.metadata.name}`,
      async sync(_key, service, pods, [current]) {
        if (!service || service.spec.type === 'ExternalName') {
          if (current?.metadata.annotations?.[TRIGGER_TIME_ANNOTATION]) {
            await ctx.client.delete(ref('endpoints', current.metadata.namespace, current.metadata.name)).catch((err) => {
              if (!isNotFound(err)) throw err;
            });
          }
          return;
        }
        if (!managesEndpoints(service)) return;
        const wanted: Endpoints = {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name: service.metadata.name, namespace: service.metadata.namespace, labels: derivedLabels(service) },
          subsets: endpointSubsets(service, podEndpoints(service, pods, Boolean(service.spec.publishNotReadyAddresses))),
        };
        if (current && content(current) === content(wanted)) return;
        const annotations = { ...(current?.metadata.annotations ?? {}), [TRIGGER_TIME_ANNOTATION]: ctx.now().toISOString().replace(/\.\d+Z$/, 'Z') };
        if (current) await ctx.client.update(ref('endpoints', current.metadata.namespace, current.metadata.name), { ...current, metadata: { ...current.metadata, labels: wanted.metadata.labels, annotations }, subsets: wanted.subsets });
        else await ctx.client.create(ref('endpoints', service.metadata.namespace), { ...wanted, metadata: { ...wanted.metadata, annotations } });
      },
    });
  },
};
