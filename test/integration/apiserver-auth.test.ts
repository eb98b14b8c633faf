import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestCluster, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { issueCert } from '../helpers/pki.js';

let cluster: TestCluster;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
const anonymous = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, request);
const b64 = (s: string) => Buffer.from(s).toString('base64');

function tokenSecret(id: string, secret: string, data: Record<string, string> = {}) {
  const base = { 'token-id': id, 'token-secret': secret, expiration: new Date(Date.now() + 3600_000).toISOString(), 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' };
  const merged = Object.fromEntries(Object.entries({ ...base, ...data }).filter(([, v]) => v !== ''));
  return { apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: `bootstrap-token-${id}` }, data: Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, b64(v)])) };
}
const SECRETS = '/api/v1/namespaces/kube-system/secrets';
const CSR = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { generateName: 'csr-' }, spec: { request: b64('not-a-real-csr'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['client auth'] } };

beforeAll(async () => {
  cluster = await startTestCluster();
  await admin(SECRETS, { method: 'POST', body: tokenSecret('abcdef', '0123456789abcdef') });
  await admin(SECRETS, { method: 'POST', body: tokenSecret('expire', '0123456789abcdef', { expiration: '2001-01-01T00:00:00Z' }) });
  await admin(SECRETS, { method: 'POST', body: tokenSecret('nouse1', '0123456789abcdef', { 'usage-bootstrap-authentication': '' }) });
  await admin(SECRETS, { method: 'POST', body: tokenSecret('badexp', '0123456789abcdef', { expiration: 'tomorrow' }) });
  // What kubeadm's bootstrap-token phase creates.
  for (const [name, group, role] of [['kubeadm:kubelet-bootstrap', 'system:bootstrappers:kubeadm:default-node-token', 'system:node-bootstrapper']]) {
    await admin('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { method: 'POST', body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'Group', name: group }] } });
  }
  await admin('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-public/roles', { method: 'POST', body: { metadata: { name: 'kubeadm:bootstrap-signer-clusterinfo' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'] }] } });
  await admin('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-public/rolebindings', { method: 'POST', body: { metadata: { name: 'kubeadm:bootstrap-signer-clusterinfo' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeadm:bootstrap-signer-clusterinfo' }, subjects: [{ kind: 'User', name: 'system:anonymous' }] } });
  await admin('/api/v1/namespaces/kube-public/configmaps', { method: 'POST', body: { metadata: { name: 'cluster-info' }, data: { kubeconfig: 'x' } } });
  await new Promise((r) => setTimeout(r, 300)); // the RBAC caches follow etcd watch
});
afterAll(async () => {
  await cluster?.stop();
});

describe('anonymous requests', () => {
  it('may read the health endpoints and /version', async () => {
    for (const path of ['/livez', '/readyz', '/healthz', '/version']) expect((await anonymous(path)).status, path).toBe(200);
    expect((await anonymous('/readyz?verbose')).text).toContain('[+]etcd ok');
  });

  it('may get kube-public/cluster-info and nothing else (401 Status)', async () => {
    expect((await anonymous('/api/v1/namespaces/kube-public/configmaps/cluster-info')).status).toBe(200);
    const denied = await anonymous('/api/v1/namespaces');
    expect(denied.status).toBe(401);
    expect(denied.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await anonymous('/api/v1/namespaces/kube-public/configmaps')).status).toBe(401);
  });
});

describe('x509 client certificates', () => {
  it('rejects a certificate from another CA with 401', async () => {
    const rogue = await issueCert(cluster.dir, cluster.pki.otherCa, 'rogue', { cn: 'kubernetes-admin', orgs: ['system:masters'], usage: 'clientAuth' });
    expect((await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces', { client: rogue })).status).toBe(401);
  });

  it('rejects an expired certificate with 401', async () => {
    const expired = await issueCert(cluster.dir, cluster.pki.ca, 'expired', { cn: 'kubernetes-admin', orgs: ['system:masters'], usage: 'clientAuth', days: 0 });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces', { client: expired })).status).toBe(401);
  });

  it('maps CN to the user and O to groups (403 names the user)', async () => {
    const jane = await issueCert(cluster.dir, cluster.pki.ca, 'jane', { cn: 'jane', orgs: ['dev'], usage: 'clientAuth' });
    const res = await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces/default/secrets', { client: jane });
    expect(res.status).toBe(403);
    expect(res.json.message).toBe('secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "default"');
    const review = await apiRequest(cluster.url, cluster.pki, '/apis/authentication.k8s.io/v1/selfsubjectreviews', { client: jane, method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    expect(review.json.status.userInfo).toEqual({ username: 'jane', groups: ['dev', 'system:authenticated'] });
  });

  it('lets a node update its own Node and not another (403)', async () => {
    const node = await issueCert(cluster.dir, cluster.pki.ca, 'node-1', { cn: 'system:node:node-1', orgs: ['system:nodes'], usage: 'clientAuth' });
    const nodes = '/api/v1/nodes';
    expect((await apiRequest(cluster.url, cluster.pki, nodes, { client: node, method: 'POST', body: { metadata: { name: 'node-1' } } })).status).toBe(201);
    await admin(nodes, { method: 'POST', body: { metadata: { name: 'node-2' } } });
    const patch = { metadata: { labels: { touched: 'yes' } } };
    expect((await apiRequest(cluster.url, cluster.pki, `${nodes}/node-1`, { client: node, method: 'PATCH', contentType: 'application/merge-patch+json', body: patch })).status).toBe(200);
    const other = await apiRequest(cluster.url, cluster.pki, `${nodes}/node-2`, { client: node, method: 'PATCH', contentType: 'application/merge-patch+json', body: patch });
    expect(other.status).toBe(403);
    expect(other.json.message).toContain('node "node-1" is not allowed to modify node "node-2"');
  });
});

describe('the Node authorizer graph', () => {
  it("lets a node read only the Secrets and ConfigMaps of its own pods, and mint tokens only for their ServiceAccount", async () => {
    const [node1, node2] = await Promise.all(['a', 'b'].map((n) => issueCert(cluster.dir, cluster.pki.ca, `graph-${n}`, { cn: `system:node:graph-${n}`, orgs: ['system:nodes'], usage: 'clientAuth' })));
    const ns = '/api/v1/namespaces/default';
    for (const name of ['s-used', 's-other']) await admin(`${ns}/secrets`, { method: 'POST', body: { metadata: { name }, stringData: { k: 'v' } } });
    await admin(`${ns}/configmaps`, { method: 'POST', body: { metadata: { name: 'cm-used' }, data: { k: 'v' } } });
    await admin(`${ns}/serviceaccounts`, { method: 'POST', body: { metadata: { name: 'runner' } } });
    await admin(`${ns}/serviceaccounts`, { method: 'POST', body: { metadata: { name: 'default' } } });
    const container = { name: 'c', image: 'busybox', env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cm-used', key: 'k' } } }] };
    const pod = (await admin(`${ns}/pods`, { method: 'POST', body: { metadata: { name: 'graph-pod' }, spec: { nodeName: 'graph-a', serviceAccountName: 'runner', containers: [container], volumes: [{ name: 'v', secret: { secretName: 's-used' } }] } } })).json;
    await new Promise((r) => setTimeout(r, 300)); // the pod mirror follows etcd watch
    const as = (client: typeof node1, path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client, ...request });
    expect((await as(node1, `${ns}/secrets/s-used`)).status).toBe(200);
    expect((await as(node1, `${ns}/configmaps/cm-used`)).status).toBe(200);
    expect((await as(node1, `${ns}/secrets/s-other`)).status).toBe(403);
    expect((await as(node1, `${ns}/secrets`)).status).toBe(403);
    expect((await as(node2, `${ns}/secrets/s-used`)).status).toBe(403);
    const tokenRequest = (bound?: object) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: bound ? { boundObjectRef: bound } : {} });
    const podRef = { kind: 'Pod', apiVersion: 'v1', name: 'graph-pod', uid: pod.metadata.uid };
    expect((await as(node1, `${ns}/serviceaccounts/runner/token`, { method: 'POST', body: tokenRequest(podRef) })).status).toBe(201);
    const unbound = await as(node1, `${ns}/serviceaccounts/runner/token`, { method: 'POST', body: tokenRequest() });
    expect(unbound.status).toBe(403);
    expect(unbound.json.message).toContain('node requested token not bound to a pod');
    expect((await as(node1, `${ns}/serviceaccounts/default/token`, { method: 'POST', body: tokenRequest(podRef) })).status).toBe(403);
    expect((await as(node2, `${ns}/serviceaccounts/runner/token`, { method: 'POST', body: tokenRequest(podRef) })).status).toBe(403);
  });
});

describe('bootstrap tokens', () => {
  it('authenticates a valid token, which may create a CSR and nothing else', async () => {
    const token = 'abcdef.0123456789abcdef';
    const created = await anonymous('/apis/certificates.k8s.io/v1/certificatesigningrequests', { token, method: 'POST', body: CSR });
    expect(created.status).toBe(201);
    expect(created.json.spec.username).toBe('system:bootstrap:abcdef');
    expect(created.json.spec.groups).toEqual(['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated']);
    expect((await anonymous(SECRETS, { token })).status).toBe(403);
    expect((await anonymous('/api/v1/namespaces', { token })).status).toBe(403);
  });

  it('rejects a wrong secret, an expired token, an unparseable expiry and a missing usage with 401', async () => {
    for (const token of ['abcdef.0123456789abcdee', 'expire.0123456789abcdef', 'badexp.0123456789abcdef', 'nouse1.0123456789abcdef', 'zzzzzz.0123456789abcdef']) {
      const res = await anonymous('/apis/certificates.k8s.io/v1/certificatesigningrequests', { token, method: 'POST', body: CSR });
      expect(res.status, token).toBe(401);
    }
  });
});
