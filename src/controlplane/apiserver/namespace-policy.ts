/**
 * The namespaced half of the bootstrap RBAC policy (upstream's bootstrappolicy
 * namespace_policy.go): Roles and RoleBindings in kube-system and kube-public for
 * extension API servers, leader election and the bootstrap-signer and token-cleaner
 * controllers. Data only; bootstrap.ts creates them when missing.
 */
import type { PolicyRule } from './rbac.js';
import { BOOTSTRAP_ANNOTATIONS, BOOTSTRAP_LABELS } from './policy.js';

const LEADER_LOCKING: PolicyRule[] = [
  { verbs: ['create', 'get', 'list', 'update', 'watch'], apiGroups: ['coordination.k8s.io'], resources: ['leases'] },
  { verbs: ['create', 'get', 'list', 'update', 'watch'], apiGroups: ['coordination.k8s.io'], resources: ['leasecandidates'] },
];
const EVENTS: PolicyRule = { verbs: ['create', 'patch', 'update'], apiGroups: ['', 'events.k8s.io'], resources: ['events'] };

interface NamespacedRole {
  namespace: string;
  name: string;
  rules: PolicyRule[];
}

const ROLES: NamespacedRole[] = [
  {
    namespace: 'kube-public',
    name: 'system:controller:bootstrap-signer',
    rules: [
      { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps'] },
      { verbs: ['update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'] },
      EVENTS,
    ],
  },
  { namespace: 'kube-system', name: 'extension-apiserver-authentication-reader', rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['extension-apiserver-authentication'] }] },
  { namespace: 'kube-system', name: 'system::leader-locking-kube-controller-manager', rules: LEADER_LOCKING },
  { namespace: 'kube-system', name: 'system::leader-locking-kube-scheduler', rules: LEADER_LOCKING },
  { namespace: 'kube-system', name: 'system:controller:bootstrap-signer', rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['secrets'] }] },
  { namespace: 'kube-system', name: 'system:controller:cloud-provider', rules: [{ verbs: ['create', 'get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps'] }] },
  { namespace: 'kube-system', name: 'system:controller:token-cleaner', rules: [{ verbs: ['delete', 'get', 'list', 'watch'], apiGroups: [''], resources: ['secrets'] }, EVENTS] },
];

const user = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
const serviceAccount = (name: string) => ({ kind: 'ServiceAccount', name, namespace: 'kube-system' });

/** RoleBindings: [namespace, binding name, role name, subjects]. */
const BINDINGS: Array<[string, string, string, Array<Record<string, string>>]> = [
  ['kube-public', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [serviceAccount('bootstrap-signer')]],
  ['kube-system', 'system::extension-apiserver-authentication-reader', 'extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')]],
  ['kube-system', 'system::leader-locking-kube-controller-manager', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), serviceAccount('kube-controller-manager'), serviceAccount('leader-election-controller')]],
  ['kube-system', 'system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), serviceAccount('kube-scheduler')]],
  ['kube-system', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', [serviceAccount('bootstrap-signer')]],
  ['kube-system', 'system:controller:cloud-provider', 'system:controller:cloud-provider', [serviceAccount('cloud-provider')]],
  ['kube-system', 'system:controller:token-cleaner', 'system:controller:token-cleaner', [serviceAccount('token-cleaner')]],
];

const meta = (namespace: string, name: string) => ({ name, namespace, labels: BOOTSTRAP_LABELS, annotations: BOOTSTRAP_ANNOTATIONS });

export function bootstrapRoles(): Array<Record<string, unknown>> {
  return ROLES.map((r) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(r.namespace, r.name), rules: r.rules }));
}

export function bootstrapRoleBindings(): Array<Record<string, unknown>> {
  return BINDINGS.map(([namespace, name, role, subjects]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(namespace, name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
    subjects,
  }));
}
