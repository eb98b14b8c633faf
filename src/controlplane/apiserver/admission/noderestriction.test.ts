import { describe, expect, it } from 'vitest';
import { findResource, type ResourceType } from '../resources.js';
import type { KubeObject } from '../storage.js';
import { forbiddenLabels, nodeRestriction } from './noderestriction.js';
import type { AdmissionAttributes, AdmissionContext } from './types.js';

const w1 = { name: 'system:node:w1', groups: ['system:nodes', 'system:authenticated'] };
const type = (group: string, version: string, plural: string) => findResource(group, version, plural) as ResourceType;
const stored: Record<string, KubeObject> = { 'nodes//w1': { metadata: { name: 'w1', uid: 'node-uid' } } };
const ctx: AdmissionContext = {
  authorize: () => ({ allowed: false, reason: '' }),
  rulesFor: () => [],
  get: async (ref, ns, name) => stored[`${ref.plural}/${ns ?? ''}/${name}`],
};
const mirror = (spec: Record<string, unknown> = {}, owner: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'm', annotations: { 'kubernetes.io/config.mirror': 'h' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'w1', uid: 'node-uid', controller: true, ...owner }] },
  spec: { nodeName: 'w1', containers: [{ name: 'c' }], ...spec },
});
const admit = async (a: Partial<AdmissionAttributes>) =>
  nodeRestriction.validate({ user: w1, operation: 'CREATE', type: type('', 'v1', 'pods'), subresource: '', namespace: 'kube-system', name: 'm', ...a }, ctx);

describe('NodeRestriction', () => {
  it('admits a mirror pod of the node that references nothing', async () => {
    await expect(admit({ object: mirror() })).resolves.toBeUndefined();
  });

  it.each([
    ['a pod without the mirror annotation', { ...mirror(), metadata: { name: 'm' } }, 'can only create mirror pods'],
    ['a mirror pod of another node', mirror({ nodeName: 'cp1' }), 'can only create pods with spec.nodeName set to itself'],
    ['a mirror pod owned by another Node uid', mirror({}, { uid: 'other' }), 'UID mismatch'],
    ['a mirror pod without a controller owner', mirror({}, { controller: false }), 'controller owner reference'],
    ['an imagePullSecret', mirror({ imagePullSecrets: [{ name: 's' }] }), 'can not create pods that reference secrets'],
    ['a ConfigMap in envFrom', mirror({ containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'x' } }] }] }), 'reference configmaps'],
  ])('refuses %s', async (_what, object, message) => {
    await expect(admit({ object })).rejects.toThrow(message);
  });

  it("refuses updates of pods, and status updates or deletes of other nodes' pods", async () => {
    const cp1Pod = { metadata: { name: 'p' }, spec: { nodeName: 'cp1' } };
    await expect(admit({ operation: 'UPDATE', object: cp1Pod, oldObject: cp1Pod })).rejects.toThrow('can only create and delete mirror pods');
    await expect(admit({ operation: 'UPDATE', subresource: 'status', object: cp1Pod, oldObject: cp1Pod })).rejects.toThrow('for pods with spec.nodeName set to itself');
    await expect(admit({ operation: 'DELETE', oldObject: cp1Pod })).rejects.toThrow('can only delete pods with spec.nodeName set to itself');
  });

  it('keeps leases to kube-node-lease/<node> and nodes to the node itself', async () => {
    const leases = type('coordination.k8s.io', 'v1', 'leases');
    await expect(admit({ type: leases, namespace: 'kube-system', name: 'kube-controller-manager', operation: 'UPDATE' })).rejects.toThrow('can only access leases in the "kube-node-lease" system namespace');
    await expect(admit({ type: leases, namespace: 'kube-node-lease', name: 'cp1', operation: 'UPDATE' })).rejects.toThrow('same name as the requesting node');
    await expect(admit({ type: leases, namespace: 'kube-node-lease', name: 'w1', operation: 'UPDATE' })).resolves.toBeUndefined();
    await expect(admit({ type: type('', 'v1', 'nodes'), namespace: undefined, name: '', object: { metadata: { generateName: 'w' } } })).rejects.toThrow('is not allowed to modify node ""');
  });

  it('lets a kubelet touch only kubelet labels', () => {
    expect(forbiddenLabels({ 'kubernetes.io/hostname': 'w1', 'node.kubernetes.io/x': '1', 'kubelet.kubernetes.io/y': '1', 'example.com/z': '1' }, {})).toEqual([]);
    expect(forbiddenLabels({ 'node-role.kubernetes.io/control-plane': '', 'a.node-restriction.kubernetes.io/b': '1', 'k8s.io/x': '1' }, {})).toEqual([
      'a.node-restriction.kubernetes.io/b',
      'k8s.io/x',
      'node-role.kubernetes.io/control-plane',
    ]);
    expect(forbiddenLabels({}, { 'node-role.kubernetes.io/control-plane': '' })).toEqual(['node-role.kubernetes.io/control-plane']);
  });
});
