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
  /** A custom resource's version, served from its CustomResourceDefinition (crd.ts). */
  readonly custom?: CustomVersion;
}

/** What a CustomResourceDefinition says about one served version of its resource. */
export interface CustomVersion {
  /** The CRD's name. */
  readonly crd: string;
  /** spec.versions[].schema.openAPIV3Schema. */
  readonly schema: Readonly<Record<string, unknown>>;
  readonly columns: ReadonlyArray<{ name: string; type: string; jsonPath: string; priority?: number; description?: string; format?: string }>;
  readonly scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /** Every served version of the resource, preferred first (objects are read back in the requested one). */
  readonly versions: readonly string[];
  /** The CRD is being deleted: its resources are still served, but none may be created. */
  readonly terminating?: boolean;
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
  categories?: string[];
}

const ROWS: Row[] = [
  { gv: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, short: ['ns'], sub: ['status', 'finalize'] },
  { gv: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, short: ['cm'] },
  { gv: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { gv: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, short: ['sa'], sub: ['token'] },
  { gv: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, short: ['no'], sub: ['status'], etcd: 'minions' },
  { gv: 'v1', kind: 'Event', plural: 'events', namespaced: true, short: ['ev'] },
  { gv: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, short: ['po'], sub: ['status', 'binding', 'log', 'eviction', 'exec', 'attach', 'portforward'], all: true },
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
  { gv: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, short: ['sts'], sub: ['status', 'scale'], all: true },
  { gv: 'apps/v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true },
  { gv: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true, sub: ['status'], all: true },
  { gv: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true, short: ['cj'], sub: ['status'], all: true },
  { gv: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, short: ['pdb'], sub: ['status'] },
  { gv: 'scheduling.k8s.io/v1', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, short: ['pc'] },
  { gv: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, virtual: true },
  { gv: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, virtual: true },
  { gv: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, virtual: true },
  { gv: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, virtual: true },
  { gv: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, virtual: true },
  { gv: 'authentication.k8s.io/v1', kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, virtual: true },
  // Storage, networking, policy and extension kinds (storage-kinds, network-kinds, policy-kinds, hpa).
  { gv: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, short: ['pv'], sub: ['status'] },
  { gv: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, short: ['pvc'], sub: ['status'] },
  { gv: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, short: ['quota'], sub: ['status'] },
  { gv: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true, short: ['limits'] },
  { gv: 'v1', kind: 'PodTemplate', plural: 'podtemplates', namespaced: true },
  { gv: 'v1', kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, short: ['rc'], sub: ['status', 'scale'], etcd: 'controllers', all: true },
  { gv: 'storage.k8s.io/v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false, short: ['sc'] },
  { gv: 'storage.k8s.io/v1', kind: 'CSIDriver', plural: 'csidrivers', namespaced: false },
  { gv: 'storage.k8s.io/v1', kind: 'CSINode', plural: 'csinodes', namespaced: false },
  { gv: 'storage.k8s.io/v1', kind: 'VolumeAttachment', plural: 'volumeattachments', namespaced: false, sub: ['status'] },
  { gv: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true, short: ['ing'], sub: ['status'], etcd: 'ingress' },
  { gv: 'networking.k8s.io/v1', kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
  { gv: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, short: ['netpol'] },
  { gv: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, short: ['hpa'], sub: ['status'], all: true },
  { gv: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, short: ['hpa'], sub: ['status'], all: true },
  { gv: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] },
  { gv: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] },
  { gv: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', plural: 'validatingadmissionpolicies', namespaced: false, sub: ['status'], categories: ['api-extensions'] },
  { gv: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', plural: 'validatingadmissionpolicybindings', namespaced: false, categories: ['api-extensions'] },
  { gv: 'node.k8s.io/v1', kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false },
  { gv: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false, short: ['crd', 'crds'], sub: ['status'], etcd: 'apiextensions.k8s.io/customresourcedefinitions', categories: ['api-extensions'] },
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
    categories: row.categories ?? (row.all ? ['all'] : []),
    virtual: row.virtual ?? false,
  };
}

const BUILT_IN: readonly ResourceType[] = ROWS.map(toType);

/** The built-in kinds, then the custom resources of established CRDs (changed in place by serveCustomTypes). */
export const RESOURCES: readonly ResourceType[] = [...BUILT_IN];
const custom = new Map<string, readonly ResourceType[]>();
let generation = 0;

/** Serves `types` for the CRD `crd` (none: stops serving it); every table walker sees the change at once. */
export function serveCustomTypes(crd: string, types: readonly ResourceType[]): void {
  if (types.length === 0) custom.delete(crd);
  else custom.set(crd, types);
  (RESOURCES as ResourceType[]).splice(BUILT_IN.length, Infinity, ...[...custom.values()].flat());
  generation++;
}

/** Increases whenever the served kinds change (documents derived from the table rebuild). */
export function resourcesGeneration(): number {
  return generation;
}

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
