import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/agent-harness.js';
import { apiRequest, SERVICE_ACCOUNT_ISSUER, startTestCluster, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';

let cluster: TestCluster;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
const bearer = (path: string, token: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { token, ...request });
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
const SA = '/api/v1/namespaces/default/serviceaccounts';

beforeAll(async () => {
  cluster = await startTestCluster();
  // The controller manager's serviceaccount controller makes "default"; here the test does.
  await admin(SA, { method: 'POST', body: { metadata: { name: 'default' } } });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('service-account tokens (serviceaccounts/token)', () => {
  it('kubectl create token issues a token that authenticates as the ServiceAccount', async () => {
    const res = await cluster.kubectl(['create', 'token', 'default']);
    expect(res.stderr).toBe('');
    const token = res.stdout.trim();
    const claims = claimsOf(token);
    expect(claims).toMatchObject({ iss: SERVICE_ACCOUNT_ISSUER, aud: [SERVICE_ACCOUNT_ISSUER], sub: 'system:serviceaccount:default:default' });
    expect(claims.exp - claims.iat).toBe(3600);
    const review = await bearer('/apis/authentication.k8s.io/v1/selfsubjectreviews', token, { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    expect(review.status).toBe(201);
    expect(review.json.status.userInfo).toMatchObject({
      username: 'system:serviceaccount:default:default',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    });
    // No RBAC grants it anything yet: authenticated (403), not anonymous (401).
    expect((await bearer('/api/v1/namespaces/default/secrets', token)).status).toBe(403);
  });

  it('honours --duration and --audience', async () => {
    const res = await cluster.kubectl(['create', 'token', 'default', '--duration=20m', '--audience=vault', '--audience=api']);
    const claims = claimsOf(res.stdout.trim());
    expect(claims.aud).toEqual(['vault', 'api']);
    expect(claims.exp - claims.iat).toBe(1200);
    // A token for other audiences is not a credential for this API server.
    expect((await bearer('/api/v1/namespaces', res.stdout.trim())).status).toBe(401);
  });

  it('refuses durations under ten minutes (422)', async () => {
    const res = await admin(`${SA}/default/token`, { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 60 } } });
    expect(res.status).toBe(422);
    expect(res.json.message).toContain('may not specify a duration less than 10 minutes');
  });

  it('binds a token to a pod and invalidates it when the pod goes away', async () => {
    await admin('/api/v1/namespaces/default/pods', { method: 'POST', body: { metadata: { name: 'holder' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    const res = await cluster.kubectl(['create', 'token', 'default', '--bound-object-kind=Pod', '--bound-object-name=holder']);
    expect(res.stderr).toBe('');
    const token = res.stdout.trim();
    expect(claimsOf(token)['kubernetes.io'].pod.name).toBe('holder');
    expect((await bearer('/api/v1/namespaces/default/secrets', token)).status).toBe(403);
    await admin('/api/v1/namespaces/default/pods/holder', { method: 'DELETE' });
    expect((await bearer('/api/v1/namespaces/default/secrets', token)).status).toBe(401);
  });

  it('rejects a token whose ServiceAccount was deleted and recreated (401)', async () => {
    await admin(SA, { method: 'POST', body: { metadata: { name: 'short-lived' } } });
    const token = (await admin(`${SA}/short-lived/token`, { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } })).json.status.token as string;
    expect((await bearer('/api/v1/namespaces/default/secrets', token)).status).toBe(403);
    await admin(`${SA}/short-lived`, { method: 'DELETE' });
    await admin(SA, { method: 'POST', body: { metadata: { name: 'short-lived' } } });
    expect((await bearer('/api/v1/namespaces/default/secrets', token)).status).toBe(401);
  });

  it('rejects a forged token, an expired one and one from another issuer with 401', async () => {
    const token = (await cluster.kubectl(['create', 'token', 'default'])).stdout.trim();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const tamper = (change: (claims: Record<string, unknown>) => void) => {
      const claims = claimsOf(token);
      change(claims);
      return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    };
    const forged = [
      tamper((c) => (c.sub = 'system:serviceaccount:kube-system:default')),
      tamper((c) => (c.exp = Math.floor(Date.now() / 1000) - 10)),
      tamper((c) => (c.iss = 'https://evil.example')),
      `${header}.${payload}.${Buffer.from('garbage').toString('base64url')}`,
    ];
    for (const t of forged) {
      const res = await bearer('/api/v1/namespaces', t);
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    }
  });
});

describe('CertificateSigningRequest approval and status', () => {
  async function applyCsr(name: string): Promise<void> {
    const { runCommand } = await import('../helpers/apiserver-harness.js');
    const key = `${cluster.dir}/${name}.key`;
    const csrFile = `${cluster.dir}/${name}.csr`;
    const made = await runCommand('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csrFile, '-subj', '/O=system:nodes/CN=system:node:n1']);
    expect(made.code).toBe(0);
    const request = Buffer.from(await (await import('node:fs/promises')).readFile(csrFile)).toString('base64');
    const manifest = JSON.stringify({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] } });
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
    expect(applied.stdout).toBe(`certificatesigningrequest.certificates.k8s.io/${name} created\n`);
  }
  const conditions = async (name: string) => (await admin(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`)).json.status.conditions;

  it('kubectl certificate approve adds an Approved condition; deny afterwards is refused (422)', async () => {
    await applyCsr('node-n1');
    const approved = await cluster.kubectl(['certificate', 'approve', 'node-n1']);
    expect(approved.stdout).toBe('certificatesigningrequest.certificates.k8s.io/node-n1 approved\n');
    const [condition] = await conditions('node-n1');
    expect(condition).toMatchObject({ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' });
    expect(condition.lastUpdateTime).toMatch(/Z$/);
    const denied = await cluster.kubectl(['certificate', 'deny', 'node-n1', '--force']);
    expect(denied.stderr).toContain('certificate signing request "node-n1" is already Approved');
    // The server enforces the same rule for any client.
    const csr = (await admin('/apis/certificates.k8s.io/v1/certificatesigningrequests/node-n1')).json;
    csr.status.conditions.push({ type: 'Denied', status: 'True', reason: 'Nope' });
    const both = await admin('/apis/certificates.k8s.io/v1/certificatesigningrequests/node-n1/approval', { method: 'PUT', body: csr });
    expect(both.status).toBe(422);
    expect(both.json.message).toContain('Approved and Denied conditions are mutually exclusive');
    csr.status.conditions = [];
    expect((await admin('/apis/certificates.k8s.io/v1/certificatesigningrequests/node-n1/approval', { method: 'PUT', body: csr })).json.message).toContain('updates may not remove a condition of type "Approved"');
    expect(await conditions('node-n1')).toHaveLength(1);
  });

  it('the status subresource sets the certificate and keeps the approval', async () => {
    await applyCsr('node-n1-signed');
    await cluster.kubectl(['certificate', 'approve', 'node-n1-signed']);
    const path = '/apis/certificates.k8s.io/v1/certificatesigningrequests/node-n1-signed/status';
    const certificate = Buffer.from('-----BEGIN CERTIFICATE-----\n...\n').toString('base64');
    const signed = await admin(path, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { certificate, conditions: [] } } });
    expect(signed.status).toBe(200);
    expect(signed.json.status.certificate).toBe(certificate);
    expect(signed.json.status.conditions.map((c: { type: string }) => c.type)).toEqual(['Approved']);
    const changed = await admin(path, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { certificate: Buffer.from('other').toString('base64') } } });
    expect(changed.status).toBe(422);
  });
});

describe('pods/binding and the scale subresource', () => {
  const PODS = '/api/v1/namespaces/default/pods';

  it('binds a pending pod to a node once (409 when already bound)', async () => {
    await admin(PODS, { method: 'POST', body: { metadata: { name: 'pending' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'pending' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } };
    const bound = await admin(`${PODS}/pending/binding`, { method: 'POST', body: binding });
    expect(bound.status).toBe(201);
    expect(bound.json).toMatchObject({ kind: 'Status', status: 'Success' });
    const pod = (await admin(`${PODS}/pending`)).json;
    expect(pod.spec.nodeName).toBe('n1');
    expect(pod.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    const again = await admin(`${PODS}/pending/binding`, { method: 'POST', body: { ...binding, target: { kind: 'Node', name: 'n2' } } });
    expect(again.status).toBe(409);
    expect(again.json.message).toBe('pod pending is already assigned to node "n1"');
  });

  it('reads and writes replicas through autoscaling/v1 Scale, rejecting negative counts (422)', async () => {
    const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
    const template = { metadata: { labels: { app: 's' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    await admin(DEPLOY, { method: 'POST', body: { metadata: { name: 's' }, spec: { replicas: 2, selector: { matchLabels: { app: 's' } }, template } } });
    const scale = await admin(`${DEPLOY}/s/scale`);
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=s' } });
    const put = await admin(`${DEPLOY}/s/scale`, { method: 'PUT', body: { ...scale.json, spec: { replicas: 5 } } });
    expect(put.json.spec.replicas).toBe(5);
    const stale = await admin(`${DEPLOY}/s/scale`, { method: 'PUT', body: { ...scale.json, spec: { replicas: 6 } } });
    expect(stale.status).toBe(409);
    expect((await admin(`${DEPLOY}/s/scale`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { replicas: -1 } } })).status).toBe(422);
    expect((await admin(`${DEPLOY}/s`)).json.metadata.generation).toBe(2);
  });
});

describe('Service ClusterIPs and node ports', () => {
  const SVC = '/api/v1/namespaces/default/services';
  const service = (name: string, spec: Record<string, unknown> = {}) => ({ metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });

  it('creates default/kubernetes on the first service IP with Endpoints at the advertise address', async () => {
    const svc = (await admin(`${SVC}/kubernetes`)).json;
    expect(svc.spec).toMatchObject({ clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: Number(new URL(cluster.url).port) }] });
    const endpoints = (await admin('/api/v1/namespaces/default/endpoints/kubernetes')).json;
    expect(endpoints.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: Number(new URL(cluster.url).port), protocol: 'TCP' }] }]);
  });

  it('mirrors the live API servers into the kubernetes EndpointSlice and drops one whose master lease expired', async () => {
    const port = Number(new URL(cluster.url).port);
    const SLICE = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes';
    const addresses = async () => {
      const slice = (await admin(SLICE)).json;
      const ips = (slice.endpoints ?? []).map((e: { addresses: string[] }) => e.addresses[0]);
      const ep = ((await admin('/api/v1/namespaces/default/endpoints/kubernetes')).json.subsets?.[0]?.addresses ?? []).map((a: { ip: string }) => a.ip);
      return { slice: ips.join(','), endpoints: ep.join(','), labels: slice.metadata?.labels, ports: slice.ports };
    };
    await waitFor('the kubernetes EndpointSlice', async () => (await addresses()).slice === '127.0.0.1');
    expect((await addresses()).labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });
    expect((await addresses()).ports).toEqual([{ name: 'https', port, protocol: 'TCP' }]);
    // Another API server's lease key, as its reconciler writes it (it outlives one reconcile interval of 10 s); then it dies.
    const grant = await cluster.etcdctl(['lease', 'grant', '12']);
    const leaseId = /lease (\w+) granted/.exec(grant.stdout)![1]!;
    expect((await cluster.etcdctl(['put', '--lease', leaseId, '/registry/masterleases/192.0.2.9', '192.0.2.9'])).code).toBe(0);
    await waitFor('the second API server listed', async () => (await addresses()).slice === '127.0.0.1,192.0.2.9', 30_000);
    expect((await addresses()).endpoints).toBe('127.0.0.1,192.0.2.9');
    await waitFor('the dead API server dropped', async () => {
      const a = await addresses();
      return a.slice === '127.0.0.1' && a.endpoints === '127.0.0.1';
    }, 30_000);
  }, 70_000);

  it('refuses an EndpointSlice with a bad address type or an address of the wrong family (422 naming the field)', async () => {
    const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
    const bad = await admin(SLICES, { method: 'POST', body: { metadata: { name: 'bad' }, addressType: 'IPv5', endpoints: [] } });
    expect(bad.status).toBe(422);
    expect(bad.json.details.causes[0].field).toBe('addressType');
    const family = await admin(SLICES, { method: 'POST', body: { metadata: { name: 'bad' }, addressType: 'IPv4', endpoints: [{ addresses: ['fd00::1'] }] } });
    expect(family.status).toBe(422);
    expect(family.json.details.causes[0].field).toBe('endpoints[0].addresses[0]');
  });

  it('allocates distinct ClusterIPs in the range, keeps them across updates and frees them on delete', async () => {
    const a = (await admin(SVC, { method: 'POST', body: service('ip-a') })).json;
    const b = (await admin(SVC, { method: 'POST', body: service('ip-b') })).json;
    expect(a.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(a.spec.clusterIPs).toEqual([a.spec.clusterIP]);
    expect(b.spec.clusterIP).not.toBe(a.spec.clusterIP);
    expect(a.spec.ports).toEqual([{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    // A PUT without the ClusterIP keeps it; changing it is refused.
    const { clusterIP: _ip, clusterIPs: _ips, ...specWithoutIp } = a.spec;
    const put = await admin(`${SVC}/ip-a`, { method: 'PUT', body: { ...a, spec: specWithoutIp } });
    expect(put.json.spec.clusterIP).toBe(a.spec.clusterIP);
    expect((await admin(`${SVC}/ip-a`, { method: 'PUT', body: { ...put.json, spec: { ...put.json.spec, clusterIP: b.spec.clusterIP } } })).status).toBe(422);
    // Asking for a taken address is a 422; once its Service is gone the address is free again.
    const taken = await admin(SVC, { method: 'POST', body: service('ip-c', { clusterIP: a.spec.clusterIP }) });
    expect(taken.status).toBe(422);
    expect(taken.json.message).toContain('provided IP is already allocated');
    await admin(`${SVC}/ip-a`, { method: 'DELETE' });
    expect((await admin(SVC, { method: 'POST', body: service('ip-c', { clusterIP: a.spec.clusterIP }) })).json.spec.clusterIP).toBe(a.spec.clusterIP);
    expect((await admin(SVC, { method: 'POST', body: service('outside', { clusterIP: '192.168.0.1' }) })).json.message).toContain('is not in the valid range. The range of valid IPs is 10.96.0.0/12');
  });

  it('gives headless and ExternalName services no ClusterIP and NodePort services a node port', async () => {
    expect((await admin(SVC, { method: 'POST', body: service('headless', { clusterIP: 'None' }) })).json.spec.clusterIPs).toEqual(['None']);
    expect((await admin(SVC, { method: 'POST', body: service('external', { type: 'ExternalName', externalName: 'example.com' }) })).json.spec.clusterIP).toBeUndefined();
    const np = (await admin(SVC, { method: 'POST', body: service('np', { type: 'NodePort' }) })).json;
    expect(np.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(np.spec.ports[0].nodePort).toBeLessThanOrEqual(32767);
    const clash = await admin(SVC, { method: 'POST', body: service('np2', { type: 'NodePort', ports: [{ port: 81, nodePort: np.spec.ports[0].nodePort }] }) });
    expect(clash.status).toBe(422);
    // The failed create gave back the ClusterIP it had taken: kubernetes, ip-b, ip-c and np hold one each.
    const held = (await cluster.etcdctl(['get', '/registry/kubeforge/serviceips/', '--prefix', '--keys-only'])).stdout.split('\n').filter(Boolean);
    expect(held).toHaveLength(4);
  });
});
