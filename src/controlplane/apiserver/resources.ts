/**
 * The registry of kinds: one row per served resource (group, version, kind, plural,
 * scope, short names, subresources, etcd key prefix). Discovery, routing, storage keys,
 * RBAC names and OpenAPI all walk this table.
 */

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly subresources: readonly string[];
  /** Key prefix under --etcd-prefix; upstream's layout (nodes live under `minions`). */
  readonly etcdPrefix: string;
  readonly verbs: readonly string[];
  readonly categories: readonly string[];
  /** Not stored: a review that is evaluated and returned (SelfSubjectAccessReview). */
  readonly virtual: boolean;
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

interface Row {
  gv: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  short?: string[];
  sub?: string[];
  etcd?: string;
  virtual?: boolean;
  all?: boolean;
}

const ROWS: Row[] = [
  { gv: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, short: ['ns'], sub: ['status', 'finalize'] },
  { gv: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, short: ['cm'] },
  { gv: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { gv: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, short: ['sa'], sub: ['token'] },
  { gv: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, short: ['no'], sub: ['status'], etcd: 'minions' },
  { gv: 'v1', kind: 'Event', plural: 'events', namespaced: true, short: ['ev'] },
  { gv: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, short: ['po'], sub: ['status', 'binding', 'log'], all: true },
  { gv: 'v1', kind: 'Service', plural: 'services', namespaced: true, short: ['svc'], sub: ['status'], etcd: 'services/specs', all: true },
  { gv: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true, short: ['ep'], etcd: 'services/endpoints' },
  { gv: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
  { gv: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { gv: 'events.k8s.io/v1', kind: 'Event', plural: 'events', namespaced: true, short: ['ev'], etcd: 'events.k8s.io/events' },
  { gv: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', plural: 'certificatesigningrequests', namespaced: false, short: ['csr'], sub: ['approval', 'status'] },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', namespaced: true },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { gv: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true, short: ['deploy'], sub: ['status', 'scale'], all: true },
  { gv: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, short: ['rs'], sub: ['status', 'scale'], all: true },
  { gv: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, short: ['ds'], sub: ['status'], all: true },
  { gv: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true, sub: ['status'], all: true },
  { gv: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, short: ['cj'], sub: ['status'], all: true },
  { gv: 'scheduling.k8s.io/v1', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, short: ['pc'] },
  { gv: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, virtual: true },
  { gv: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, virtual: true },
  { gv: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, virtual: true },
  { gv: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, virtual: true },
  { gv: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, virtual: true },
];

function toType(row: Row): ResourceType {
  const [group, version] = row.gv.includes('/') ? (row.gv.split('/') as [string, string]) : ['', row.gv];
  return {
    group,
    version,
    kind: row.kind,
    plural: row.plural,
    singular: row.kind.toLowerCase(),
    namespaced: row.namespaced,
    shortNames: row.short ?? [],
    subresources: row.sub ?? [],
    etcdPrefix: row.etcd ?? row.plural,
    verbs: row.virtual ? ['create'] : CRUD,
    categories: row.all ? ['all'] : [],
    virtual: row.virtual ?? false,
  };
}

export const RESOURCES: readonly ResourceType[] = ROWS.map(toType);

/** `v1` or `apps/v1`. */
export function groupVersion(type: { group: string; version: string }): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function findKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}

/** Every served group with its versions, core ('') first, in table order. */
export function servedGroupVersions(): Array<{ group: string; versions: string[] }> {
  const groups = new Map<string, string[]>();
  for (const r of RESOURCES) {
    const versions = groups.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    groups.set(r.group, versions);
  }
  return [...groups].map(([group, versions]) => ({ group, versions }));
}

/** The etcd key of one object, or the prefix of a namespace's (or every) object of a type. */
export function storageKey(etcdRoot: string, type: ResourceType, namespace: string | undefined, name?: string): string {
  const parts = [etcdRoot, type.etcdPrefix];
  if (type.namespaced && namespace) parts.push(namespace);
  if (name !== undefined) parts.push(name);
  return `${parts.join('/')}${name === undefined ? '/' : ''}`;
}
