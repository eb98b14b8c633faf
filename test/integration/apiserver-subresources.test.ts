import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
