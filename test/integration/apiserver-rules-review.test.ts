import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { startClusterWithNewestClients, type ClientRunner } from '../helpers/newest-clients.js';

let cluster: TestCluster;
let kubectl135: ClientRunner;
let alice: string;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
const LSAR = '/apis/authorization.k8s.io/v1/namespaces/team/localsubjectaccessreviews';

beforeAll(async () => {
  ({ cluster, kubectl135 } = await startClusterWithNewestClients());
  await cluster.kubectl(['create', 'ns', 'team']);
  await cluster.kubectl(['-n', 'team', 'create', 'role', 'cm-reader', '--verb=get,list', '--resource=configmaps', '--resource-name=settings']);
  await cluster.kubectl(['-n', 'team', 'create', 'rolebinding', 'alice-reads', '--role=cm-reader', '--user=alice']);
  alice = await cluster.userKubeconfig('alice', { cn: 'alice' });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('SelfSubjectRulesReview (kubectl auth can-i --list)', () => {
  it('kubectl 1.32 lists what a user may do in a namespace, from RoleBindings and ClusterRoleBindings', async () => {
    const res = await cluster.kubectl(['auth', 'can-i', '--list', '-n', 'team'], { kubeconfig: alice });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
    expect(res.stdout).toMatch(/^configmaps\s+\[\]\s+\[settings\]\s+\[get list\]$/m);
    expect(res.stdout).toMatch(/^selfsubjectrulesreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(res.stdout).toMatch(/^\s+\[\/version\]\s+\[\]\s+\[get\]$/m);
    // In another namespace the RoleBinding does not apply.
    const elsewhere = await cluster.kubectl(['auth', 'can-i', '--list', '-n', 'default'], { kubeconfig: alice });
    expect(elsewhere.stdout).not.toMatch(/^configmaps\s/m);
  });

  it('kubectl 1.35 lists the admin\'s wildcard rules', async () => {
    const res = await kubectl135(['auth', 'can-i', '--list']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    expect(res.stdout).toMatch(/^\s+\[\*\]\s+\[\]\s+\[\*\]$/m);
  });

  it('refuses a review without a namespace (400 as upstream)', async () => {
    const res = await admin('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { method: 'POST', body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: {} } });
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('no namespace on request');
  });
});

describe('LocalSubjectAccessReview', () => {
  const review = (spec: Record<string, unknown>) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', metadata: { namespace: 'team' }, spec });

  it('answers for another user within the URL\'s namespace', async () => {
    const allowed = await admin(LSAR, { method: 'POST', body: review({ user: 'alice', resourceAttributes: { namespace: 'team', verb: 'get', resource: 'configmaps', name: 'settings' } }) });
    expect(allowed.status).toBe(201);
    expect(allowed.json).toMatchObject({ kind: 'LocalSubjectAccessReview', metadata: { namespace: 'team' }, status: { allowed: true } });
    const denied = await admin(LSAR, { method: 'POST', body: review({ user: 'alice', resourceAttributes: { namespace: 'team', verb: 'delete', resource: 'configmaps', name: 'settings' } }) });
    expect(denied.json.status.allowed).toBe(false);
  });

  it('refuses a review for another namespace, without a subject, or of a non-resource URL (422)', async () => {
    const res = await admin(LSAR, { method: 'POST', body: review({ resourceAttributes: { namespace: 'other', verb: 'get', resource: 'pods' } }) });
    expect(res.status).toBe(422);
    expect(res.json.message).toContain('spec.user: Invalid value: "": at least one of user or group must be specified');
    expect(res.json.message).toContain('spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace');
    const urls = await admin(LSAR, { method: 'POST', body: review({ user: 'alice', nonResourceAttributes: { path: '/version', verb: 'get' } }) });
    expect(urls.status).toBe(422);
    expect(urls.json.message).toContain('spec.nonResourceAttributes');
  });

  it('is forbidden to a user without create on localsubjectaccessreviews', async () => {
    const res = await cluster.kubectl(['create', '--validate=false', '-f', '-', '-o', 'json'], { kubeconfig: alice, input: JSON.stringify(review({ user: 'alice', resourceAttributes: { namespace: 'team', verb: 'get', resource: 'pods' } })) });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('cannot create resource "localsubjectaccessreviews" in API group "authorization.k8s.io" in the namespace "team"');
  });
});
