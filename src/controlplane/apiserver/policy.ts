/**
 * The default ("bootstrap") RBAC policy the real API server reconciles at start: cluster
 * roles and their bindings, labelled kubernetes.io/bootstrapping=rbac-defaults. Data only.
 */
import { CONTROLLER_ROLES } from './controller-policy.js';
import type { PolicyRule } from './rbac.js';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const ALL = [...READ, ...WRITE];
const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

const CORE_NAMESPACED = ['pods', 'pods/log', 'pods/status', 'services', 'services/status', 'endpoints', 'configmaps', 'serviceaccounts', 'events', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'replicationcontrollers', 'replicationcontrollers/scale', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status', 'limitranges'];
const BATCH = ['jobs', 'jobs/status', 'cronjobs', 'cronjobs/status'];
const POLICY = ['poddisruptionbudgets', 'poddisruptionbudgets/status'];
const APPS = ['deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'daemonsets', 'daemonsets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'];
const AUTOSCALING = ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'];
const NETWORKING = ['ingresses', 'ingresses/status', 'networkpolicies'];

const EDIT: PolicyRule[] = [
  rule(ALL, [''], [...CORE_NAMESPACED, 'secrets', 'serviceaccounts/token']),
  rule(ALL, ['apps'], APPS),
  rule(READ, ['apps'], ['controllerrevisions']),
  rule(ALL, ['batch'], BATCH),
  rule(ALL, ['policy'], POLICY),
  rule(['create'], [''], ['pods/eviction']),
  rule(ALL, ['autoscaling'], AUTOSCALING),
  rule(ALL, ['networking.k8s.io'], NETWORKING),
  rule(ALL, ['coordination.k8s.io'], ['leases']),
  rule(READ, [''], ['namespaces']),
];

export const BOOTSTRAP_CLUSTER_ROLES: Record<string, PolicyRule[]> = {
  'cluster-admin': [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])],
  // admin aggregates edit (as upstream's aggregation labels do) plus its own rules.
  admin: [
    ...EDIT,
    rule(ALL, ['rbac.authorization.k8s.io'], ['roles', 'rolebindings']),
    rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
    rule(ALL, ['events.k8s.io'], ['events']),
  ],
  edit: [...EDIT],
  view: [
    rule(READ, [''], [...CORE_NAMESPACED, 'namespaces', 'namespaces/status']),
    rule(READ, ['apps'], [...APPS, 'controllerrevisions']),
    rule(READ, ['batch'], BATCH),
    rule(READ, ['policy'], POLICY),
    rule(READ, ['autoscaling'], AUTOSCALING),
    rule(READ, ['networking.k8s.io'], NETWORKING),
    rule(READ, ['coordination.k8s.io'], ['leases']),
  ],
  'system:basic-user': [
    rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ],
  'system:discovery': [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])],
  'system:public-info-viewer': [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])],
  'system:monitoring': [urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/readyz', '/readyz/*'])],
  'system:node-bootstrapper': [rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests'])],
  'system:certificates.k8s.io:certificatesigningrequests:nodeclient': [rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/nodeclient'])],
  'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient': [rule(['create'], ['certificates.k8s.io'], ['certificatesigningrequests/selfnodeclient'])],
  'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver': [
    rule(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet']),
  ],
  // Secrets, ConfigMaps, PVCs and ServiceAccount tokens come from the Node authorizer's graph only.
  'system:node': [
    // As upstream's NodeRules: NodeRestriction admission narrows these writes to the node's own objects.
    rule(['create', 'get', 'list', 'watch', 'update', 'patch'], [''], ['nodes']),
    rule(['update', 'patch'], [''], ['nodes/status']),
    rule(READ, [''], ['pods', 'services', 'endpoints']),
    rule(['create', 'delete'], [''], ['pods']),
    rule(['update', 'patch'], [''], ['pods/status']),
    rule(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
    rule(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
    rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  ],
  'system:node-proxier': [rule(READ, [''], ['services', 'endpoints', 'nodes']), rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']), rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])],
  'system:kube-scheduler': [
    rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
    rule(READ, [''], ['nodes', 'namespaces', 'pods', 'services', 'configmaps']),
    rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
    rule(['create'], [''], ['pods/binding', 'bindings']),
    rule(['patch', 'update'], [''], ['pods/status']),
    rule(READ, ['apps'], ['replicasets', 'statefulsets']),
    rule(READ, ['scheduling.k8s.io'], ['priorityclasses']),
    // Delegated authentication and authorization of its own /metrics and /debug/pprof.
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
  ],
  'system:kube-controller-manager': [
    rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    rule(['create'], ['coordination.k8s.io'], ['leases']),
    rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
    rule(['create'], [''], ['secrets', 'serviceaccounts']),
    rule(['delete'], [''], ['secrets']),
    rule(['get'], [''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
    rule(['update'], [''], ['secrets', 'serviceaccounts']),
    rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    rule(['list', 'watch'], ['*'], ['*']),
    rule(['create'], [''], ['serviceaccounts/token']),
  ],
  'system:auth-delegator': [rule(['create'], ['authentication.k8s.io'], ['tokenreviews']), rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])],
  'system:kube-dns': [rule(['list', 'watch'], [''], ['endpoints', 'services'])],
  'system:kube-aggregator': [rule(READ, [''], ['endpoints', 'services'])],
  'system:volume-scheduler': [
    rule([...READ, 'patch', 'update'], [''], ['persistentvolumes']),
    rule(READ, ['storage.k8s.io'], ['storageclasses']),
    rule([...READ, 'patch', 'update'], [''], ['persistentvolumeclaims']),
  ],
  'system:persistent-volume-provisioner': [
    rule(['create', 'delete', 'get', 'list', 'watch'], [''], ['persistentvolumes']),
    rule(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']),
    rule(READ, ['storage.k8s.io'], ['storageclasses']),
    rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  ],
  'system:kubelet-api-admin': [
    rule(READ, [''], ['nodes']),
    rule(['proxy'], [''], ['nodes']),
    rule(['*'], [''], ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats']),
  ],
  'system:node-problem-detector': [rule(['get'], [''], ['nodes']), rule(['patch'], [''], ['nodes/status']), rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events'])],
  'system:service-account-issuer-discovery': [urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'])],
  'system:certificates.k8s.io:kube-apiserver-client-approver': [rule(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kube-apiserver-client'])],
  'system:certificates.k8s.io:kubelet-serving-approver': [rule(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/kubelet-serving'])],
  'system:certificates.k8s.io:legacy-unknown-approver': [rule(['approve'], ['certificates.k8s.io'], ['signers'], ['kubernetes.io/legacy-unknown'])],
};

/** ClusterRoleBindings: binding name → [role, subjects]. */
export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: Record<string, { role: string; groups?: string[]; users?: string[]; serviceAccounts?: string[] }> = {
  'cluster-admin': { role: 'cluster-admin', groups: ['system:masters'] },
  'system:basic-user': { role: 'system:basic-user', groups: ['system:authenticated'] },
  'system:discovery': { role: 'system:discovery', groups: ['system:authenticated'] },
  'system:public-info-viewer': { role: 'system:public-info-viewer', groups: ['system:authenticated', 'system:unauthenticated'] },
  'system:monitoring': { role: 'system:monitoring', groups: ['system:monitoring'] },
  'system:node-proxier': { role: 'system:node-proxier', users: ['system:kube-proxy'] },
  'system:kube-controller-manager': { role: 'system:kube-controller-manager', users: ['system:kube-controller-manager'] },
  'system:kube-scheduler': { role: 'system:kube-scheduler', users: ['system:kube-scheduler'] },
  'system:kube-dns': { role: 'system:kube-dns', serviceAccounts: ['kube-dns'] },
  'system:volume-scheduler': { role: 'system:volume-scheduler', users: ['system:kube-scheduler'] },
  'system:service-account-issuer-discovery': { role: 'system:service-account-issuer-discovery', groups: ['system:serviceaccounts'] },
};

export const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
export const BOOTSTRAP_ANNOTATIONS = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

const controllerRoleName = (serviceAccount: string) => `system:controller:${serviceAccount}`;

export function bootstrapClusterRoles(): Array<Record<string, unknown>> {
  const controllerRoles = Object.entries(CONTROLLER_ROLES).map(([sa, rules]) => [controllerRoleName(sa), rules] as const);
  return [...Object.entries(BOOTSTRAP_CLUSTER_ROLES), ...controllerRoles].map(([name, rules]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: BOOTSTRAP_LABELS, annotations: BOOTSTRAP_ANNOTATIONS },
    rules,
  }));
}

export function bootstrapClusterRoleBindings(): Array<Record<string, unknown>> {
  type Binding = { role: string; groups?: string[]; users?: string[]; serviceAccounts?: string[] };
  const controllerBindings = Object.keys(CONTROLLER_ROLES).map((sa): [string, Binding] => [controllerRoleName(sa), { role: controllerRoleName(sa), serviceAccounts: [sa] }]);
  const bindings: Array<[string, Binding]> = [...Object.entries(BOOTSTRAP_CLUSTER_ROLE_BINDINGS), ...controllerBindings];
  return bindings.map(([name, b]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: BOOTSTRAP_LABELS, annotations: BOOTSTRAP_ANNOTATIONS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.role },
    subjects: [
      ...(b.groups ?? []).map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
      ...(b.users ?? []).map((u) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: u })),
      ...(b.serviceAccounts ?? []).map((sa) => ({ kind: 'ServiceAccount', name: sa, namespace: 'kube-system' })),
    ],
  }));
}

export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
