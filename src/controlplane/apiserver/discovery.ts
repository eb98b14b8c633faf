/**
 * Discovery documents built from the kinds table: aggregated discovery (apidiscovery.k8s.io/v2
 * on /api and /apis, what kubectl asks for first: two requests instead of one per group
 * version) and the legacy documents (/api, /apis, /apis/<g>, /api/v1, /apis/<g>/<v>).
 */
import { RESOURCES, servedGroupVersions, type ResourceType } from './resources.js';

interface SubresourceShape {
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

const SUBRESOURCES: Record<string, SubresourceShape> = {
  status: { kind: '', verbs: ['get', 'patch', 'update'] },
  approval: { kind: '', verbs: ['get', 'patch', 'update'] },
  finalize: { kind: '', verbs: ['update'] },
  scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] },
  binding: { kind: 'Binding', verbs: ['create'] },
  eviction: { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
};

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string, versions: string[]): Record<string, unknown> {
  const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: entries, preferredVersion: entries[0] };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = servedGroupVersions().filter((g) => g.group !== '');
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => apiGroup(g.group, g.versions)) };
}

export function apiGroupDocument(group: string): Record<string, unknown> | undefined {
  const found = servedGroupVersions().find((g) => g.group === group && group !== '');
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(found.group, found.versions) } : undefined;
}

function resourceEntries(type: ResourceType): Array<Record<string, unknown>> {
  const main = {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: type.verbs,
    ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length ? { categories: type.categories } : {}),
  };
  const subs = type.subresources.map((sub) => {
    const shape = SUBRESOURCES[sub] ?? { kind: '', verbs: ['get'] };
    return {
      name: `${type.plural}/${sub}`,
      singularName: '',
      namespaced: type.namespaced,
      ...(shape.group !== undefined ? { group: shape.group, version: shape.version } : {}),
      kind: shape.kind || type.kind,
      verbs: shape.verbs,
    };
  });
  return [main, ...subs];
}

export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const types = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.flatMap(resourceEntries),
  };
}

/** The media type of aggregated discovery, when an Accept header asks for it. */
export const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const params = range.split(';').map((p) => p.trim());
    return params.includes('g=apidiscovery.k8s.io') && params.includes('v=v2') && params.includes('as=APIGroupDiscoveryList');
  });
}

function discoveredResource(type: ResourceType): Record<string, unknown> {
  return {
    resource: type.plural,
    responseKind: { group: type.group, version: type.version, kind: type.kind },
    scope: type.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: type.singular,
    verbs: type.verbs,
    ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length ? { categories: type.categories } : {}),
    ...(type.subresources.length
      ? {
          subresources: type.subresources.map((sub) => {
            const shape = SUBRESOURCES[sub] ?? { kind: '', verbs: ['get'] };
            return { subresource: sub, responseKind: { group: shape.group ?? type.group, version: shape.version ?? type.version, kind: shape.kind || type.kind }, verbs: shape.verbs };
          }),
        }
      : {}),
  };
}

/** APIGroupDiscoveryList for /api (legacy: true) or /apis. */
export function aggregatedDiscovery(legacy: boolean): Record<string, unknown> {
  const groups = servedGroupVersions().filter((g) => (g.group === '') === legacy);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map(({ group, versions }) => ({
      metadata: group ? { name: group } : {},
      versions: versions.map((version) => ({
        version,
        resources: RESOURCES.filter((r) => r.group === group && r.version === version).map(discoveredResource),
        freshness: 'Current',
      })),
    })),
  };
}
