/**
 * Legacy discovery documents (/api, /apis, /apis/<g>, /api/v1, /apis/<g>/<v>) built from
 * the kinds table. kubectl asks for aggregated discovery first and falls back to these.
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
