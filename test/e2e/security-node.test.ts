/**
 * Issue 11, findings 1, 10, 11 and the two-CN half of 15: what a joined node (w1, with its real
 * kubelet-client-current.pem from TLS bootstrap) may do through the API server, as upstream's
 * Node authorizer and NodeRestriction admission allow. Each attack asserts upstream's status
 * and that nothing changed. Built CLI (`npm run build` first), real etcd, cp1 on 127.0.0.100,
 * w1 on 127.0.0.101.
 */
import { describe, expect, it } from 'vitest';
import { useSecurityCluster } from '../helpers/security-cluster.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API objects as JSON
type Json = any;

const MIRROR = 'kubernetes.io/config.mirror';

const c = useSecurityCluster('127.0.0.100', '127.0.0.101');

const admin = (method: string, path: string, body?: unknown) => c.request('admin', method, path, body);
const node = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => c.request('node', method, path, body, headers);
const podPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;

async function w1Uid(): Promise<string> {
  return (await admin('GET', '/api/v1/nodes/w1')).body.metadata.uid;
}

/** A mirror pod of w1 as its kubelet posts it, with `extra` merged into the spec. */
async function mirrorPod(name: string, spec: Record<string, unknown> = {}, nodeName = 'w1'): Promise<Record<string, unknown>> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'kube-system',
      annotations: { [MIRROR]: 'abc' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: await w1Uid(), controller: true }],
    },
    spec: { nodeName, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }], ...spec },
  };
}

/** A pod of cp1's (its kube-apiserver mirror pod), the victim of w1's attacks. */
async function cp1Pod(): Promise<{ name: string; pod: Json }> {
  const list = await admin('GET', `${podPath('kube-system')}?fieldSelector=spec.nodeName%3Dcp1`);
  const pod = list.body.items.find((p: Json) => p.metadata.name.startsWith('kube-apiserver-'));
  expect(pod, JSON.stringify(list.body)).toBeDefined();
  return { name: pod.metadata.name, pod };
}

const stripVolatile = (pod: Json) => ({ metadata: { labels: pod.metadata.labels, annotations: pod.metadata.annotations, uid: pod.metadata.uid }, spec: pod.spec });

describe('finding 1: a node cannot make itself cluster-admin through pods and TokenRequests', () => {
  it('answers 403 to a non-mirror pod bound to w1 that runs as generic-garbage-collector, and stores nothing', async () => {
    const res = await node('POST', podPath('kube-system'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'evil-gc' },
      spec: { nodeName: 'w1', serviceAccountName: 'generic-garbage-collector', containers: [{ name: 'c', image: 'x' }] },
    });
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toContain('pod does not have "kubernetes.io/config.mirror" annotation, node "w1" can only create mirror pods');
    expect((await admin('GET', podPath('kube-system', 'evil-gc'))).status).toBe(404);
  });

  it.each([
    ['a service account', { serviceAccountName: 'generic-garbage-collector' }, 'reference a service account'],
    ['a Secret in env', { containers: [{ name: 'c', image: 'x', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'bootstrap-token-abcdef', key: 'token-secret' } } }] }] }, 'reference secrets'],
    ['a Secret volume', { volumes: [{ name: 'v', secret: { secretName: 'any' } }] }, 'reference secrets'],
    ['a ConfigMap', { volumes: [{ name: 'v', configMap: { name: 'kubeadm-config' } }] }, 'reference configmaps'],
    ['a PVC', { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }] }, 'reference persistentvolumeclaims'],
    ['a projected service-account token', { volumes: [{ name: 'v', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }] }, 'a mirror pod may not use ServiceAccountToken volume projections'],
    ['an ephemeral volume', { volumes: [{ name: 'v', ephemeral: { volumeClaimTemplate: { spec: {} } } }] }, 'reference persistentvolumeclaims'],
  ])('answers 403 to a mirror pod of w1 that references %s, and stores nothing', async (_what, spec, message) => {
    const name = `mirror-ref-${Math.random().toString(36).slice(2, 8)}`;
    const res = await node('POST', podPath('kube-system'), await mirrorPod(name, spec));
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toContain(message);
    expect((await admin('GET', podPath('kube-system', name))).status).toBe(404);
  });

  it('answers 403 to a TokenRequest for generic-garbage-collector, bound to no pod or to a pod of another node', async () => {
    const unbound = await node('POST', '/api/v1/namespaces/kube-system/serviceaccounts/generic-garbage-collector/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    expect(unbound.status, unbound.text).toBe(403);
    const { name, pod } = await cp1Pod();
    const bound = await node('POST', '/api/v1/namespaces/kube-system/serviceaccounts/default/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name, uid: pod.metadata.uid } },
    });
    expect(bound.status, bound.text).toBe(403);
    expect(bound.body.status?.token).toBeUndefined();
  });

  it('still lets w1 create and delete a mirror pod of itself that references nothing', async () => {
    const created = await node('POST', podPath('kube-system'), await mirrorPod('static-web-w1'));
    expect(created.status, created.text).toBe(201);
    // w1's own agent may already have deleted it (it has no such static pod): both end in no pod.
    const deleted = await node('DELETE', podPath('kube-system', 'static-web-w1'));
    expect([200, 404], deleted.text).toContain(deleted.status);
  });
});

describe("finding 10: a node cannot touch other nodes' pods or the control plane's leases", () => {
  it.each([
    ['PATCH its labels', 'PATCH', '', { metadata: { labels: { owned: 'w1' } } }],
    ['PATCH spec.nodeName to w1 (re-binding)', 'PATCH', '', { spec: { nodeName: 'w1' } }],
    ['PATCH its status', 'PATCH', '/status', { status: { phase: 'Failed' } }],
    ['DELETE it', 'DELETE', '', undefined],
  ])("answers 403 when w1 tries to %s on cp1's kube-apiserver pod, which stays as it was", async (_what, method, sub, body) => {
    const { name, pod } = await cp1Pod();
    const res = await node(method, podPath('kube-system', name) + sub, body);
    expect(res.status, res.text).toBe(403);
    const after = await admin('GET', podPath('kube-system', name));
    expect(after.status).toBe(200);
    expect(stripVolatile(after.body)).toEqual(stripVolatile(pod));
    if (sub === '/status') expect(after.body.status.phase).toBe(pod.status.phase);
  });

  it("answers 403 to a pods/binding of cp1's pod to w1", async () => {
    const { name, pod } = await cp1Pod();
    const res = await node('POST', `${podPath('kube-system', name)}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'w1' } });
    expect(res.status, res.text).toBe(403);
    expect((await admin('GET', podPath('kube-system', name))).body.spec.nodeName).toBe(pod.spec.nodeName);
  });

  it('answers 403 to a mirror pod bound to cp1, and stores nothing', async () => {
    const res = await node('POST', podPath('kube-system'), await mirrorPod('fake-cp1-mirror', {}, 'cp1'));
    expect(res.status, res.text).toBe(403);
    expect((await admin('GET', podPath('kube-system', 'fake-cp1-mirror'))).status).toBe(404);
  });

  it('answers 403 to a PATCH of kube-system/leases/kube-controller-manager, whose holder stays', async () => {
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager';
    const before = await admin('GET', path);
    expect(before.status, before.text).toBe(200);
    const res = await node('PATCH', path, { spec: { holderIdentity: 'w1', leaseDurationSeconds: 3600 } });
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toContain('can only access leases in the "kube-node-lease" system namespace');
    const after = await admin('GET', path);
    expect(after.body.spec.holderIdentity).toBe(before.body.spec.holderIdentity);
    expect(after.body.spec.leaseDurationSeconds).toBe(before.body.spec.leaseDurationSeconds);
  });

  it('answers 403 to a Lease created in kube-system, and stores nothing', async () => {
    const res = await node('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'w1' }, spec: {} });
    expect(res.status, res.text).toBe(403);
    expect((await admin('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/w1')).status).toBe(404);
  });
});

describe('finding 11: a node keeps to the kubelet label allowlist, cannot change its taints, create other Nodes or delete its own', () => {
  it.each([['node-role.kubernetes.io/control-plane'], ['node-restriction.kubernetes.io/trusted'], ['kubernetes.io/made-up']])(
    'answers 403 when w1 sets the label %s on itself, which it does not get',
    async (label) => {
      const res = await node('PATCH', '/api/v1/nodes/w1', { metadata: { labels: { [label]: 'true' } } });
      expect(res.status, res.text).toBe(403);
      expect(res.body.message).toContain(label);
      expect((await admin('GET', '/api/v1/nodes/w1')).body.metadata.labels?.[label]).toBeUndefined();
    },
  );

  it('lets w1 set a label of the kubelet allowlist (node.kubernetes.io/instance-type)', async () => {
    const res = await node('PATCH', '/api/v1/nodes/w1', { metadata: { labels: { 'node.kubernetes.io/instance-type': 'sec-test' } } });
    expect(res.status, res.text).toBe(200);
  });

  it('answers 403 when w1 changes its own taints, which stay', async () => {
    const before = (await admin('GET', '/api/v1/nodes/w1')).body.spec.taints;
    const res = await node('PATCH', '/api/v1/nodes/w1', { spec: { taints: [{ key: 'evil', effect: 'NoSchedule' }] } });
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toContain('is not allowed to modify taints');
    expect((await admin('GET', '/api/v1/nodes/w1')).body.spec.taints).toEqual(before);
  });

  it('answers 403 when w1 creates another Node, by name or by generateName, and no Node is added', async () => {
    const count = async () => (await admin('GET', '/api/v1/nodes')).body.items.length;
    const before = await count();
    const named = await node('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'w9' } });
    expect(named.status, named.text).toBe(403);
    const generated = await node('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { generateName: 'w' } });
    expect(generated.status, generated.text).toBe(403);
    expect(await count()).toBe(before);
  });

  it('answers 403 when w1 deletes its own Node, which stays', async () => {
    const res = await node('DELETE', '/api/v1/nodes/w1');
    expect(res.status, res.text).toBe(403);
    expect((await admin('GET', '/api/v1/nodes/w1')).status).toBe(200);
  });
});

describe('finding 15: a client certificate with two CNs is the user of the last one, as Go reads it', () => {
  it('authenticates CN=bob/CN=nobody as nobody: SelfSubjectReview says so and bob\'s rights do not apply', async () => {
    const twoCns = await c.clientCert('/CN=bob/CN=nobody');
    const review = await c.request(twoCns, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(review.status, review.text).toBe(201);
    expect(review.body.status.userInfo.username).toBe('nobody');
    expect((await c.request(twoCns, 'GET', '/api/v1/namespaces/rt-dev/secrets')).status).toBe(403);
  });
});
