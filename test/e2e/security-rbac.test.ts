/**
 * Issue 11, findings 2, 3, 5, 9 and 14: what users may do to RBAC, CSRs and other identities,
 * as upstream's RBAC escalation checks, request routing, certificate admission plugins,
 * impersonation filter and RBAC validation allow. Users: bob (admin in rt-dev) and jane (may
 * only create RoleBindings in rt-dev). Each attack asserts upstream's status and that nothing
 * changed. Built CLI (`npm run build` first), real etcd, cp1 on 127.0.0.102, w1 on 127.0.0.103.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tool } from '../helpers/cli.js';
import { useSecurityCluster } from '../helpers/security-cluster.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const RBAC_GROUP = 'rbac.authorization.k8s.io';

const c = useSecurityCluster('127.0.0.102', '127.0.0.103');

const admin = (method: string, p: string, body?: unknown) => c.request('admin', method, p, body);
const roleBinding = (name: string, roleRef: { kind: string; name: string }, user: string) => ({
  apiVersion: `${RBAC_GROUP}/v1`,
  kind: 'RoleBinding',
  metadata: { name, namespace: 'rt-dev' },
  roleRef: { apiGroup: RBAC_GROUP, ...roleRef },
  subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: user }],
});
const exists = async (p: string) => (await admin('GET', p)).status === 200;

describe('finding 2: RBAC escalation prevention', () => {
  it('answers 403 when jane binds cluster-admin to herself in rt-dev; nothing is stored and she gains nothing', async () => {
    const res = await c.request('jane', 'POST', `${RBAC}/namespaces/rt-dev/rolebindings`, roleBinding('jane-admin', { kind: 'ClusterRole', name: 'cluster-admin' }, 'jane'));
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toContain('user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held');
    expect(await exists(`${RBAC}/namespaces/rt-dev/rolebindings/jane-admin`)).toBe(false);
    expect((await c.request('jane', 'GET', '/api/v1/namespaces/rt-dev/secrets')).status).toBe(403);
  });

  it('answers 403 when bob (admin in rt-dev) writes a Role with */*/* rules; nothing is stored', async () => {
    const role = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: { name: 'everything', namespace: 'rt-dev' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] };
    const res = await c.request('bob', 'POST', `${RBAC}/namespaces/rt-dev/roles`, role);
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toContain('is attempting to grant RBAC permissions not currently held');
    expect(await exists(`${RBAC}/namespaces/rt-dev/roles/everything`)).toBe(false);
  });

  it('answers 403 when bob widens an existing Role of rt-dev by update; the Role keeps its rules', async () => {
    const role = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: { name: 'pod-reader', namespace: 'rt-dev' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] };
    expect((await c.request('bob', 'POST', `${RBAC}/namespaces/rt-dev/roles`, role)).status).toBe(201);
    const res = await c.request('bob', 'PATCH', `${RBAC}/namespaces/rt-dev/roles/pod-reader`, { rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['delete'] }] });
    expect(res.status, res.text).toBe(403);
    expect((await admin('GET', `${RBAC}/namespaces/rt-dev/roles/pod-reader`)).body.rules).toEqual(role.rules);
  });

  it('lets bob bind admin (every rule of which he holds in rt-dev) to jane, and jane bind edit once she may `bind` it', async () => {
    const bound = await c.request('bob', 'POST', `${RBAC}/namespaces/rt-dev/rolebindings`, roleBinding('jane-admin-by-bob', { kind: 'ClusterRole', name: 'admin' }, 'jane'));
    expect(bound.status, bound.text).toBe(201);
    expect((await admin('DELETE', `${RBAC}/namespaces/rt-dev/rolebindings/jane-admin-by-bob`)).status).toBe(200);
    const binder = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: { name: 'bind-edit', namespace: 'rt-dev' }, rules: [{ apiGroups: [RBAC_GROUP], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['edit'] }] };
    expect((await admin('POST', `${RBAC}/namespaces/rt-dev/roles`, binder)).status).toBe(201);
    expect((await admin('POST', `${RBAC}/namespaces/rt-dev/rolebindings`, roleBinding('jane-bind-edit', { kind: 'Role', name: 'bind-edit' }, 'jane'))).status).toBe(201);
    const edit = await c.request('jane', 'POST', `${RBAC}/namespaces/rt-dev/rolebindings`, roleBinding('jane-edit', { kind: 'ClusterRole', name: 'edit' }, 'jane'));
    expect(edit.status, edit.text).toBe(201);
    const view = await c.request('jane', 'POST', `${RBAC}/namespaces/rt-dev/rolebindings`, roleBinding('jane-cluster-admin', { kind: 'ClusterRole', name: 'cluster-admin' }, 'jane'));
    expect(view.status, view.text).toBe(403);
  });
});

describe('finding 3: cluster-scoped kinds under a namespace path answer 404', () => {
  it.each([
    ['/api/v1/namespaces/rt-dev/namespaces'],
    ['/api/v1/namespaces/rt-dev/namespaces/kube-system'],
    ['/api/v1/namespaces/rt-dev/nodes/w1'],
    [`${RBAC}/namespaces/rt-dev/clusterrolebindings`],
    ['/apis/certificates.k8s.io/v1/namespaces/rt-dev/certificatesigningrequests'],
  ])('GET %s answers 404 (admin)', async (p) => {
    const res = await admin('GET', p);
    expect(res.status, res.text).toBe(404);
  });

  it('answers 404 when bob lists namespaces under /namespaces/rt-dev (his admin RoleBinding allows reading namespaces there)', async () => {
    const res = await c.request('bob', 'GET', '/api/v1/namespaces/rt-dev/namespaces');
    expect(res.status, res.text).toBe(404);
    expect(res.body.items).toBeUndefined();
  });

  it('answers 404 to DELETE /api/v1/namespaces/rt-dev/namespaces/sec-victim, which stays Active', async () => {
    expect((await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sec-victim' } })).status).toBe(201);
    const res = await admin('DELETE', '/api/v1/namespaces/rt-dev/namespaces/sec-victim');
    expect(res.status, res.text).toBe(404);
    const after = await admin('GET', '/api/v1/namespaces/sec-victim');
    expect(after.body.status.phase).toBe('Active');
    expect(after.body.metadata.deletionTimestamp).toBeUndefined();
  });
});

/** A base64 PEM CSR for `subject` (openssl). */
async function csrRequest(subject: string): Promise<string> {
  const made = await tool('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '/dev/null', '-subj', subject]);
  expect(made.exitCode, made.stderr).toBe(0);
  return Buffer.from(made.stdout).toString('base64');
}
const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const csr = (name: string, request: string, signerName = 'kubernetes.io/kube-apiserver-client') => ({
  apiVersion: 'certificates.k8s.io/v1',
  kind: 'CertificateSigningRequest',
  metadata: { name },
  spec: { request, signerName, usages: ['client auth', 'digital signature'] },
});
const approved = (object: Record<string, unknown>) => ({ ...object, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'approved by test' }] } });

describe('finding 3: namespaced kinds without a namespace have only the list and watch route', () => {
  it('answers 405 to POST and DELETE on /api/v1/configmaps and 404 to a name under it; nothing is created or deleted', async () => {
    const names = async () => new Set<string>((await admin('GET', '/api/v1/configmaps')).body.items.map((item: { metadata: { namespace: string; name: string } }) => `${item.metadata.namespace}/${item.metadata.name}`));
    const before = await names();
    const created = await admin('POST', '/api/v1/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nowhere', namespace: 'rt-dev' } });
    expect(created.status, created.text).toBe(405);
    const deleted = await admin('DELETE', '/api/v1/configmaps');
    expect(deleted.status, deleted.text).toBe(405);
    expect((await admin('GET', '/api/v1/configmaps/kube-root-ca.crt')).status).toBe(404);
    // Other controllers may publish kube-root-ca.crt into a new namespace meanwhile: compare names, not counts.
    const after = await names();
    expect([...before].filter((name) => !after.has(name))).toEqual([]);
    expect(after.has('rt-dev/nowhere')).toBe(false);
  });
});

describe('finding 5: CSR approval requires `approve` on the signer, and system:masters is never signed by kube-apiserver-client', () => {
  it('answers 403 to a CSR for kube-apiserver-client with O=system:masters; nothing is stored', async () => {
    const res = await admin('POST', CSRS, csr('masters', await csrRequest('/O=system:masters/CN=mallory')));
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toContain('use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed');
    expect(await exists(`${CSRS}/masters`)).toBe(false);
  });

  it('answers 403 when a user with only update on certificatesigningrequests/approval approves; the CSR stays pending', async () => {
    const role = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name: 'csr-approval-only' }, rules: [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests', 'certificatesigningrequests/approval'], verbs: ['get', 'list', 'update'] }] };
    expect((await admin('POST', `${RBAC}/clusterroles`, role)).status).toBe(201);
    const binding = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'bob-csr-approval-only' }, roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'csr-approval-only' }, subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: 'bob' }] };
    expect((await admin('POST', `${RBAC}/clusterrolebindings`, binding)).status).toBe(201);
    const created = await admin('POST', CSRS, csr('bob-approves', await csrRequest('/O=dev/CN=carol')));
    expect(created.status, created.text).toBe(201);
    const res = await c.request('bob', 'PUT', `${CSRS}/bob-approves/approval`, approved(created.body));
    expect(res.status, res.text).toBe(403);
    expect(res.body.message).toContain('user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"');
    expect((await admin('GET', `${CSRS}/bob-approves`)).body.status?.conditions).toBeUndefined();

    const signerRole = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name: 'approve-apiserver-client' }, rules: [{ apiGroups: ['certificates.k8s.io'], resources: ['signers'], verbs: ['approve'], resourceNames: ['kubernetes.io/*'] }] };
    expect((await admin('POST', `${RBAC}/clusterroles`, signerRole)).status).toBe(201);
    const signerBinding = { ...binding, metadata: { name: 'bob-approve-apiserver-client' }, roleRef: { ...binding.roleRef, name: 'approve-apiserver-client' } };
    expect((await admin('POST', `${RBAC}/clusterrolebindings`, signerBinding)).status).toBe(201);
    const ok = await c.request('bob', 'PUT', `${CSRS}/bob-approves/approval`, approved(created.body));
    expect(ok.status, ok.text).toBe(200);
  });
});

describe('finding 9: impersonation', () => {
  it('runs `kubectl --as=nobody get secrets -n kube-system` as nobody: 403 for nobody', async () => {
    const res = await c.kubectl('admin', ['--as=nobody', 'get', 'secrets', '-n', 'kube-system']);
    expect(res.exitCode).not.toBe(0);
    expect(res.stderr).toContain('User "nobody" cannot list resource "secrets" in API group "" in the namespace "kube-system"');
  });

  it('answers `kubectl auth can-i --as` for the impersonated user', async () => {
    const no = await c.kubectl('admin', ['auth', 'can-i', 'list', 'secrets', '-n', 'kube-system', '--as=nobody']);
    expect(no.stdout.trim()).toBe('no');
    const yes = await c.kubectl('admin', ['auth', 'can-i', 'list', 'secrets', '-n', 'rt-dev', '--as=bob']);
    expect(yes.stdout.trim()).toBe('yes');
  });

  it('answers 403 with upstream\'s message when bob, who may not impersonate, asks for kubernetes-admin or for system:masters', async () => {
    const user = await c.request('bob', 'GET', '/api/v1/namespaces/kube-system/secrets', undefined, { 'Impersonate-User': 'kubernetes-admin' });
    expect(user.status, user.text).toBe(403);
    expect(user.body.message).toBe('users "kubernetes-admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    const group = await c.request('bob', 'GET', '/api/v1/namespaces/kube-system/secrets', undefined, { 'Impersonate-User': 'bob', 'Impersonate-Group': 'system:masters' });
    expect(group.status, group.text).toBe(403);
    expect(group.body.message).toContain('cannot impersonate resource "users"');
  });

  it('runs the request as the impersonated user with system:authenticated added, once the right is granted (users, groups, uids, extras)', async () => {
    const role = {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'impersonate-nobody' },
      rules: [
        { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['nobody'] },
        { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['team'] },
        { apiGroups: ['authentication.k8s.io'], resources: ['uids'], verbs: ['impersonate'], resourceNames: ['u-1'] },
        { apiGroups: ['authentication.k8s.io'], resources: ['userextras/scopes'], verbs: ['impersonate'], resourceNames: ['read'] },
      ],
    };
    expect((await admin('POST', `${RBAC}/clusterroles`, role)).status).toBe(201);
    const binding = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRoleBinding', metadata: { name: 'bob-impersonate-nobody' }, roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'impersonate-nobody' }, subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: 'bob' }] };
    expect((await admin('POST', `${RBAC}/clusterrolebindings`, binding)).status).toBe(201);
    const headers = { 'Impersonate-User': 'nobody', 'Impersonate-Group': 'team', 'Impersonate-Uid': 'u-1', 'Impersonate-Extra-Scopes': 'read' };
    const review = await c.request('bob', 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, headers);
    expect(review.status, review.text).toBe(201);
    expect(review.body.status.userInfo).toEqual({ username: 'nobody', uid: 'u-1', groups: ['team', 'system:authenticated'], extra: { scopes: ['read'] } });
    const pods = await c.request('bob', 'GET', '/api/v1/namespaces/rt-dev/pods', undefined, headers);
    expect(pods.status, pods.text).toBe(403);
    const other = await c.request('bob', 'GET', '/api/v1/namespaces/rt-dev/pods', undefined, { ...headers, 'Impersonate-Extra-Scopes': 'write' });
    expect(other.status).toBe(403);
    expect(other.body.message).toContain('cannot impersonate resource "userextras/scopes"');
    const masters = await c.request('bob', 'GET', '/api/v1/namespaces/kube-system/secrets', undefined, { ...headers, 'Impersonate-Group': 'system:masters' });
    expect(masters.status).toBe(403);
    expect(masters.body.message).toBe('groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope');
  });
});

describe('finding 14: RBAC objects are validated, and a malformed stored binding never breaks authorization', () => {
  it('answers 400 to a RoleBinding whose subjects is not a list, and 422 to invalid subjects and roleRef; nothing is stored', async () => {
    const notList = await admin('POST', `${RBAC}/namespaces/rt-dev/rolebindings`, { ...roleBinding('bad-subjects', { kind: 'ClusterRole', name: 'view' }, 'x'), subjects: 'x' });
    expect(notList.status, notList.text).toBe(400);
    const badKind = await admin('POST', `${RBAC}/namespaces/rt-dev/rolebindings`, { ...roleBinding('bad-kind', { kind: 'ClusterRole', name: 'view' }, 'x'), subjects: [{ kind: 'Robot', name: 'r2' }] });
    expect(badKind.status, badKind.text).toBe(422);
    expect(badKind.body.message).toContain('subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"');
    const badRef = await admin('POST', `${RBAC}/namespaces/rt-dev/rolebindings`, { ...roleBinding('bad-ref', { kind: 'Secret', name: 'view' }, 'x') });
    expect(badRef.status, badRef.text).toBe(422);
    expect(badRef.body.message).toContain('roleRef.kind: Unsupported value: "Secret": supported values: "Role", "ClusterRole"');
    for (const name of ['bad-subjects', 'bad-kind', 'bad-ref']) expect(await exists(`${RBAC}/namespaces/rt-dev/rolebindings/${name}`)).toBe(false);
  });

  it('answers 422 "cannot change roleRef" to an update of roleRef, which keeps its value', async () => {
    expect((await admin('POST', `${RBAC}/namespaces/rt-dev/rolebindings`, roleBinding('ref-fixed', { kind: 'ClusterRole', name: 'view' }, 'carol'))).status).toBe(201);
    const res = await admin('PATCH', `${RBAC}/namespaces/rt-dev/rolebindings/ref-fixed`, { roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'cluster-admin' } });
    expect(res.status, res.text).toBe(422);
    expect(res.body.message).toContain('cannot change roleRef');
    expect((await admin('GET', `${RBAC}/namespaces/rt-dev/rolebindings/ref-fixed`)).body.roleRef.name).toBe('view');
  });

  it('keeps authorizing everybody in rt-dev when a malformed RoleBinding sits in etcd (written behind the API server\'s back)', async () => {
    const pki = path.join(c.cpRoot, 'etc/kubernetes/pki/etcd');
    const malformed = JSON.stringify({ apiVersion: `${RBAC_GROUP}/v1`, kind: 'RoleBinding', metadata: { name: 'malformed', namespace: 'rt-dev', uid: 'x' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: 'x' });
    const put = await tool('etcdctl', ['--endpoints', 'https://127.0.0.102:2379', '--cacert', `${pki}/ca.crt`, '--cert', `${pki}/healthcheck-client.crt`, '--key', `${pki}/healthcheck-client.key`, 'put', '/registry/rolebindings/rt-dev/malformed', malformed]);
    expect(put.exitCode, put.stderr).toBe(0);
    // the RBAC cache follows etcd's watch: wait until the object is visible through the API
    for (let i = 0; i < 50 && !(await exists(`${RBAC}/namespaces/rt-dev/rolebindings/malformed`)); i++) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 500));
    expect((await c.request('bob', 'GET', '/api/v1/namespaces/rt-dev/pods')).status).toBe(200);
    expect((await admin('GET', '/api/v1/namespaces/rt-dev/pods')).status).toBe(200);
    expect((await c.request('admin', 'GET', '/api/v1/namespaces/rt-dev/pods', undefined, { 'Impersonate-User': 'nobody' })).status).toBe(403);
    const deleted = await admin('DELETE', `${RBAC}/namespaces/rt-dev/rolebindings/malformed`);
    expect(deleted.status, deleted.text).toBe(200);
  });
});
