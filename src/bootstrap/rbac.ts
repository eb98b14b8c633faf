/**
 * The RBAC objects kubeadm's init creates (phases/bootstraptoken/node, clusterinfo,
 * uploadconfig, kubeconfig): one table of bindings, built into Role/ClusterRole/Binding objects.
 */
import type { KubeObject } from '../kube/index.js';

export const DEFAULT_NODE_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
export const NODES_GROUP = 'system:nodes';
export const CLUSTER_ADMINS_GROUP = 'kubeadm:cluster-admins';

type Subject = { kind: 'Group' | 'User'; name: string };
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** A binding kubeadm creates, with the role it creates beside it when the role is kubeadm's own. */
export interface BindingSpec {
  name: string;
  /** undefined: cluster-scoped (ClusterRole/ClusterRoleBinding). */
  namespace?: string;
  roleName: string;
  /** Rules when kubeadm creates the role too; undefined when it binds an existing default role. */
  rules?: Rule[];
  subjects: Subject[];
}

const group = (name: string): Subject => ({ kind: 'Group', name });
const getConfigMap = (name: string): Rule[] => [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: [name] }];

/** kubeadm's bindings for TLS bootstrap, discovery and config download, by init phase. */
export const bootstrapTokenBindings: BindingSpec[] = [
  { name: 'kubeadm:kubelet-bootstrap', roleName: 'system:node-bootstrapper', subjects: [group(DEFAULT_NODE_TOKEN_GROUP)] },
  { name: 'kubeadm:node-autoapprove-bootstrap', roleName: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', subjects: [group(DEFAULT_NODE_TOKEN_GROUP)] },
  { name: 'kubeadm:node-autoapprove-certificate-rotation', roleName: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', subjects: [group(NODES_GROUP)] },
  { name: 'kubeadm:get-nodes', roleName: 'kubeadm:get-nodes', rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }], subjects: [group(DEFAULT_NODE_TOKEN_GROUP)] },
];

export const clusterInfoBinding: BindingSpec = {
  name: 'kubeadm:bootstrap-signer-clusterinfo',
  namespace: 'kube-public',
  roleName: 'kubeadm:bootstrap-signer-clusterinfo',
  rules: getConfigMap('cluster-info'),
  subjects: [{ kind: 'User', name: 'system:anonymous' }],
};

export const uploadConfigBindings: BindingSpec[] = [
  { name: 'kubeadm:nodes-kubeadm-config', namespace: 'kube-system', roleName: 'kubeadm:nodes-kubeadm-config', rules: getConfigMap('kubeadm-config'), subjects: [group(DEFAULT_NODE_TOKEN_GROUP), group(NODES_GROUP)] },
  { name: 'kubeadm:kubelet-config', namespace: 'kube-system', roleName: 'kubeadm:kubelet-config', rules: getConfigMap('kubelet-config'), subjects: [group(NODES_GROUP), group(DEFAULT_NODE_TOKEN_GROUP)] },
];

export const clusterAdminsBinding: BindingSpec = { name: 'kubeadm:cluster-admins', roleName: 'cluster-admin', subjects: [group(CLUSTER_ADMINS_GROUP)] };

const RBAC = 'rbac.authorization.k8s.io/v1';

/** The role (when kubeadm owns it) and the binding, ready to create. */
export function bindingObjects(spec: BindingSpec): KubeObject[] {
  const namespaced = spec.namespace !== undefined;
  const metadata = (name: string) => (namespaced ? { name, namespace: spec.namespace } : { name });
  const roleKind = namespaced ? 'Role' : 'ClusterRole';
  const objects: KubeObject[] = [];
  if (spec.rules) objects.push({ apiVersion: RBAC, kind: roleKind, metadata: metadata(spec.roleName), rules: spec.rules });
  objects.push({
    apiVersion: RBAC,
    kind: namespaced ? 'RoleBinding' : 'ClusterRoleBinding',
    metadata: metadata(spec.name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: spec.roleName },
    subjects: spec.subjects.map((s) => ({ apiGroup: 'rbac.authorization.k8s.io', ...s })),
  });
  return objects;
}
