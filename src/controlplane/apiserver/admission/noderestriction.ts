/**
 * NodeRestriction (upstream plugin/pkg/admission/noderestriction): a node identity
 * (system:node:<name> in system:nodes) may create only mirror pods of itself that reference no
 * other object, update only its own pods' status, delete only its own pods, change only its own
 * Node (kubelet labels, taints only when it registers), only its Lease in kube-node-lease, and
 * request only tokens bound to a pod of its own.
 */
import { nodeNameOf } from '../authz.js';
import { podReferences } from '../nodegraph.js';
import { forbidden, list, obj, type AdmissionAttributes, type AdmissionContext, type ValidatingPlugin } from './types.js';

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** What a mirror pod may not reference, in upstream's order of checks: [predicate, what]. */
const FORBIDDEN_REFERENCES: ReadonlyArray<readonly [(spec: Record<string, unknown>, refs: string[]) => boolean, string]> = [
  [(spec) => !!(spec.serviceAccountName || spec.serviceAccount), 'reference a service account'],
  [(_spec, refs) => refs.some((r) => r.startsWith('secrets/')), 'reference secrets'],
  [(_spec, refs) => refs.some((r) => r.startsWith('configmaps/')), 'reference configmaps'],
  [(spec) => list(spec.volumes).some((v) => list(obj(v.projected).sources).some((s) => s.clusterTrustBundle !== undefined)), 'reference clustertrustbundles'],
  // An ephemeral volume is a PVC the controller makes for the pod: a reference like any other claim.
  [(spec) => list(spec.volumes).some((v) => v.persistentVolumeClaim !== undefined || v.ephemeral !== undefined), 'reference persistentvolumeclaims'],
];

async function admitPodCreate(node: string, a: AdmissionAttributes, ctx: AdmissionContext): Promise<void> {
  const pod = a.object ?? {};
  const meta = obj(pod.metadata);
  const spec = obj(pod.spec);
  const deny = (why: string) => forbidden(a, why);
  if (!Object.hasOwn(obj(meta.annotations), MIRROR_ANNOTATION)) throw deny(`pod does not have "${MIRROR_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
  if (spec.nodeName !== node) throw deny(`node "${node}" can only create pods with spec.nodeName set to itself`);
  const owners = list(meta.ownerReferences);
  if (owners.length > 1) throw deny(`node "${node}" can only create pods with a single owner reference set to itself`);
  const [owner] = owners;
  if (!owner || owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) throw deny(`node "${node}" can only create pods with an owner reference set to itself`);
  if (owner.controller !== true) throw deny(`node "${node}" can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion === true) throw deny(`node "${node}" must not set blockOwnerDeletion on an owner reference`);
  const self = await ctx.get({ group: '', plural: 'nodes' }, undefined, node);
  if (!self) throw deny(`error looking up node ${node} to verify uid: nodes "${node}" not found`);
  if (owner.uid !== self.metadata?.uid) throw deny(`node ${node} UID mismatch: expected ${String(owner.uid)} got ${String(self.metadata?.uid)}`);
  const refs = podReferences({ ...pod, spec: { ...spec, serviceAccountName: 'default' } }).filter((r) => r !== 'serviceaccounts/default');
  for (const [references, what] of FORBIDDEN_REFERENCES) {
    if (references(spec, refs)) throw deny(`node "${node}" can not create pods that ${what}`);
  }
  // Upstream's ServiceAccount admission: a mirror pod never gets a service-account token.
  if (list(spec.volumes).some((v) => list(obj(v.projected).sources).some((s) => s.serviceAccountToken !== undefined))) {
    throw deny('a mirror pod may not use ServiceAccountToken volume projections');
  }
}

const nodeOf = (object: unknown) => obj(obj(object).spec).nodeName;

async function admitPod(node: string, a: AdmissionAttributes, ctx: AdmissionContext): Promise<void> {
  if (a.subresource === 'status') {
    if (a.operation !== 'UPDATE') throw forbidden(a, `unexpected operation "${a.operation}"`);
    if (nodeOf(a.oldObject) !== node) throw forbidden(a, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
    const labels = (o: unknown) => JSON.stringify(Object.entries(obj(obj(obj(o).metadata).labels)).sort());
    if (labels(a.oldObject) !== labels(a.object)) throw forbidden(a, `node "${node}" cannot update labels through pod status`);
    return;
  }
  if (a.subresource !== '') throw forbidden(a, `unexpected pod subresource "${a.subresource}", only 'status' and 'eviction' are allowed`);
  if (a.operation === 'CREATE') return admitPodCreate(node, a, ctx);
  if (a.operation === 'DELETE') {
    if (nodeOf(a.oldObject) !== node) throw forbidden(a, `node "${node}" can only delete pods with spec.nodeName set to itself`);
    return;
  }
  throw forbidden(a, `unexpected operation "${a.operation}", node "${node}" can only create and delete mirror pods`);
}

/** Label keys whose namespace is kubernetes.io or k8s.io (or a subdomain of either). */
function isKubernetesLabel(key: string): boolean {
  const ns = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  return ['kubernetes.io', 'k8s.io'].some((d) => ns === d || ns.endsWith(`.${d}`));
}

/** The labels a kubelet sets on its own Node (k8s.io/kubelet/pkg/apis IsKubeletLabel). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  return KUBELET_LABEL_NAMESPACES.some((d) => ns === d || ns.endsWith(`.${d}`));
}

/** Keys added, removed or changed between two label maps that a node may not touch, sorted. */
export function forbiddenLabels(labels: unknown, previous: unknown): string[] {
  const now = obj(labels);
  const before = obj(previous);
  const keys = new Set([...Object.keys(now), ...Object.keys(before)].filter((k) => now[k] !== before[k]));
  const restricted = (key: string) => {
    const ns = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
    return ns === 'node-restriction.kubernetes.io' || ns.endsWith('.node-restriction.kubernetes.io') || (isKubernetesLabel(key) && !isKubeletLabel(key));
  };
  return [...keys].filter(restricted).sort();
}

function admitNode(node: string, a: AdmissionAttributes): void {
  if (a.name !== node) throw forbidden(a, `node "${node}" is not allowed to modify node "${a.name}"`);
  const spec = obj(a.object?.spec);
  const labels = obj(a.object?.metadata).labels;
  if (a.operation === 'CREATE') {
    if (spec.configSource !== undefined && spec.configSource !== null) throw forbidden(a, `node "${node}" is not allowed to create pods with a non-nil configSource`);
    const bad = forbiddenLabels(labels, {});
    if (bad.length > 0) throw forbidden(a, `node "${node}" is not allowed to set the following labels: ${bad.join(', ')}`);
  }
  if (a.operation === 'UPDATE') {
    const old = obj(a.oldObject?.spec);
    if (spec.configSource != null && JSON.stringify(spec.configSource) !== JSON.stringify(old.configSource)) throw forbidden(a, `node "${node}" is not allowed to update configSource to a new non-nil configSource`);
    if (JSON.stringify(spec.taints ?? []) !== JSON.stringify(old.taints ?? [])) throw forbidden(a, `node "${node}" is not allowed to modify taints`);
    const bad = forbiddenLabels(labels, obj(a.oldObject?.metadata).labels);
    if (bad.length > 0) throw forbidden(a, `is not allowed to modify labels: ${bad.join(', ')}`);
  }
}

async function admitToken(node: string, a: AdmissionAttributes, ctx: AdmissionContext): Promise<void> {
  if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
  const ref = obj(obj(a.object?.spec).boundObjectRef);
  if (ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || typeof ref.name !== 'string' || ref.name === '') throw forbidden(a, 'node requested token not bound to a pod');
  if (typeof ref.uid !== 'string' || ref.uid === '') throw forbidden(a, 'node requested token with a pod binding without a uid');
  const pod = await ctx.get({ group: '', plural: 'pods' }, a.namespace, ref.name);
  if (!pod) throw forbidden(a, `pods "${ref.name}" not found`);
  if (ref.uid !== pod.metadata?.uid) throw forbidden(a, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  if (nodeOf(pod) !== node) throw forbidden(a, 'node requested token bound to a pod scheduled on a different node');
}

function admitLease(node: string, a: AdmissionAttributes): void {
  if (a.namespace !== 'kube-node-lease') throw forbidden(a, 'can only access leases in the "kube-node-lease" system namespace');
  if (a.name !== node) throw forbidden(a, 'can only access node lease with the same name as the requesting node');
}

/** Group/resource → the rule for it. */
const RULES: Record<string, (node: string, a: AdmissionAttributes, ctx: AdmissionContext) => void | Promise<void>> = {
  '/pods': admitPod,
  '/nodes': admitNode,
  '/serviceaccounts': admitToken,
  'coordination.k8s.io/leases': admitLease,
};

export const nodeRestriction: ValidatingPlugin = {
  name: 'NodeRestriction',
  enabled: 'opt-in',
  validate(a, ctx) {
    const node = nodeNameOf(a.user);
    if (node === undefined) return;
    if (node === '') throw forbidden(a, `could not determine node from user "${a.user.name}"`);
    return RULES[`${a.type.group}/${a.type.plural}`]?.(node, a, ctx);
  },
};
