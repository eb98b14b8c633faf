/**
 * Requests that must fail alone, as upstream's API server fails them (issue 11: findings 4, 6, 7, 8):
 * prototype pollution through patches, bodies between etcd's and the server's size limits, lists
 * over gRPC's default receive limit, a YAML alias bomb, and unauthenticated URLs in /metrics.
 * Real etcd, the real API server, a node's client certificate and a bootstrap token.
 */
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestCluster, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { issueCert, type KeyPair } from '../helpers/pki.js';

let cluster: TestCluster;
let node: KeyPair;
let bob: KeyPair;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
const asNode = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: node, ...request });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const TOKEN = 'abcdef.0123456789abcdef';
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

beforeAll(async () => {
  cluster = await startTestCluster();
  node = await issueCert(cluster.dir, cluster.pki.ca, 'w1', { cn: 'system:node:w1', orgs: ['system:nodes'], usage: 'clientAuth' });
  bob = await issueCert(cluster.dir, cluster.pki.ca, 'bob', { cn: 'bob', usage: 'clientAuth' });
  const token = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', expiration: new Date(Date.now() + 3600_000).toISOString(), 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' };
  const created = await Promise.all([
    admin('/api/v1/namespaces/kube-system/secrets', { method: 'POST', body: { type: 'bootstrap.kubernetes.io/token', metadata: { name: 'bootstrap-token-abcdef' }, data: Object.fromEntries(Object.entries(token).map(([k, v]) => [k, b64(v)])) } }),
    admin(`${RBAC}/clusterrolebindings`, { method: 'POST', body: { metadata: { name: 'kubeadm:kubelet-bootstrap' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-bootstrapper' }, subjects: [{ kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' }] } }),
    admin('/api/v1/nodes', { method: 'POST', body: { metadata: { name: 'w1', labels: { 'kubernetes.io/hostname': 'w1' } } } }),
    admin('/api/v1/namespaces', { method: 'POST', body: { metadata: { name: 'big' } } }),
  ]);
  for (const res of created) expect(res.status, res.text).toBe(201);
  // The RBAC caches follow etcd's watch: wait until the bootstrap token may create CSRs.
  for (let i = 0; i < 100; i++) {
    const review = await apiRequest(cluster.url, cluster.pki, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { token: TOKEN, method: 'POST', body: { spec: { resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create' } } } });
    if (review.json?.status?.allowed) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await cluster?.stop();
});

/** A real, signed PKCS#10 request of a node, made about `bytes` large by subject alternative names. */
function largeNodeCsr(bytes: number): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  csr.setSubject([{ name: 'commonName', value: 'system:node:w1' }, { name: 'organizationName', value: 'system:nodes' }]);
  const altNames = Array.from({ length: Math.ceil(bytes / 60) }, (_, i) => ({ type: 2, value: `n${i}.${'x'.repeat(40)}.example` }));
  csr.setAttributes([{ name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames }] }]);
  csr.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

describe('prototype pollution (finding 4)', () => {
  it('a node\'s JSON patch to /__proto__ of its own Node is 422 and changes nothing in the server', async () => {
    const before = (await admin('/api/v1/nodes/w1')).json;
    for (const path of ['/__proto__/apiGroups', '/metadata/__proto__/resources', '/constructor/prototype/verbs']) {
      const res = await asNode('/api/v1/nodes/w1', { method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'add', path, value: ['*'] }] });
      expect(res.status, `${path}: ${res.text}`).toBe(422);
    }
    // The server runs in this process: nothing reached Object.prototype.
    for (const key of ['apiGroups', 'resources', 'verbs']) expect(Object.prototype, key).not.toHaveProperty(key);
    expect((await admin('/api/v1/nodes/w1')).json.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    // A user with no rights still may not read kube-system Secrets (a polluted URL-only rule would match them).
    expect((await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces/kube-system/secrets', { client: bob })).status).toBe(403);
  });

  it('merge and strategic merge patches keep a "__proto__" key as data (a valid ConfigMap key upstream)', async () => {
    const created = await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'proto', labels: { app: 'proto' } }, data: { a: '1' } } });
    expect(created.status).toBe(201);
    for (const [contentType, value] of [['application/merge-patch+json', 'm'], ['application/strategic-merge-patch+json', 's']] as const) {
      const res = await admin('/api/v1/namespaces/default/configmaps/proto', { method: 'PATCH', contentType, body: `{"data":{"__proto__":"${value}","constructor":"c"}}` });
      expect(res.status, res.text).toBe(200);
      const stored = (await admin('/api/v1/namespaces/default/configmaps/proto')).json as { data: Record<string, string> };
      expect(Object.getOwnPropertyDescriptor(stored.data, '__proto__')?.value, contentType).toBe(value);
      expect(stored.data.constructor).toBe('c');
    }
  });

  it('a label selector naming an inherited property matches no object', async () => {
    const all = (await admin('/api/v1/namespaces/default/configmaps')).json.items.length;
    expect(all).toBeGreaterThan(0);
    for (const selector of ['constructor', 'toString', '__proto__']) {
      const res = await admin(`/api/v1/namespaces/default/configmaps?labelSelector=${selector}`);
      expect(res.status).toBe(200);
      expect(res.json.items, selector).toHaveLength(0);
    }
  });
});

describe('requests larger than etcd accepts (finding 6)', () => {
  // Just under gRPC's 2 MiB (etcd refuses it: "request is too large") and over it (refused by gRPC itself).
  it.each([1_150_000, 1_450_000])('a ~2 MB CSR (%i B of DER) sent with a bootstrap token fails alone: the next admin request succeeds at once', async (der) => {
    const pem = largeNodeCsr(der);
    const body = JSON.stringify({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { generateName: 'big-' }, spec: { request: b64(pem), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] } });
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024 - 200_000);
    expect(body.length).toBeLessThan(3 * 1024 * 1024);
    for (let round = 0; round < 3; round++) {
      const res = await apiRequest(cluster.url, cluster.pki, CSRS, { token: TOKEN, method: 'POST', body });
      expect(res.status, res.text).toBe(500);
      expect(res.json.message).toBe('etcdserver: request is too large');
      const next = await admin('/api/v1/namespaces/kube-system');
      expect(next.status, next.text).toBe(200);
    }
  });

  it('a list of more than 4 MB (gRPC\'s default receive limit) succeeds', async () => {
    const value = 'v'.repeat(1_000_000);
    for (let i = 0; i < 5; i++) {
      const res = await admin('/api/v1/namespaces/big/configmaps', { method: 'POST', body: { metadata: { name: `cm-${i}` }, data: { value } } });
      expect(res.status, res.text).toBe(201);
    }
    const list = await admin('/api/v1/namespaces/big/configmaps');
    expect(list.status, list.text.slice(0, 300)).toBe(200);
    expect(list.json.items).toHaveLength(5);
    expect(list.text.length).toBeGreaterThan(5_000_000);
    expect((await admin('/api/v1/namespaces/kube-system')).status).toBe(200);
  });
});

describe('YAML alias bomb (finding 7)', () => {
  const bomb = [
    'apiVersion: authorization.k8s.io/v1',
    'kind: SelfSubjectAccessReview',
    'metadata:',
    '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...Array.from({ length: 8 }, (_, i) => `  a${i + 1}: &a${i + 1} [${Array.from({ length: 9 }, () => `*a${i}`).join(',')}]`),
    'spec: {resourceAttributes: {verb: get, resource: pods}}',
  ].join('\n');

  it('is refused with 400 "excessive aliasing" while /healthz keeps answering', async () => {
    const started = Date.now();
    const [res, health] = await Promise.all([
      apiRequest(cluster.url, cluster.pki, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { client: bob, method: 'POST', contentType: 'application/yaml', body: bomb }),
      apiRequest(cluster.url, cluster.pki, '/healthz'),
    ]);
    expect(res.status, res.text).toBe(400);
    expect(res.json.message).toContain('excessive aliasing');
    expect(health.status).toBe(200);
    // Generous for a loaded machine; the bomb took 15-26 s before.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('deeply nested JSON', () => {
  it('is refused with 400 (exceeded max depth), not a 500 from a stack overflow', async () => {
    const body = `{"metadata":{"name":"deep"},"data":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const res = await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body });
    expect(res.status, res.text).toBe(400);
    expect(res.json.message).toContain('exceeded max depth');
  });
});

describe('metrics cardinality (finding 8)', () => {
  const seriesCount = async () => (await admin('/metrics')).text.split('\n').filter((l) => l.startsWith('apiserver_request_total{')).length;

  it('unauthenticated requests to unique URLs, and unknown resources, add no series', async () => {
    await admin('/api/v1/namespaces/default/nosuchthings');
    await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces/default/pods');
    const before = await seriesCount();
    for (let i = 0; i < 200; i++) {
      const unique = `${Date.now().toString(36)}${i}`;
      await apiRequest(cluster.url, cluster.pki, i % 2 ? `/api/v1/namespaces/default/${unique}` : `/${unique}`);
      if (i % 20 === 0) await admin(`/apis/x${unique}/v1/widgets${unique}`);
    }
    expect(await seriesCount()).toBeLessThanOrEqual(before + 2);
    const text = (await admin('/metrics')).text;
    expect(text).toMatch(/apiserver_request_total\{verb="LIST",resource="other",code="404"\}/);
  });
});
