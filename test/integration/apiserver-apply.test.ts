import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { startClusterWithNewestClients, type ClientRunner } from '../helpers/newest-clients.js';

let cluster: TestCluster;
let kubectl135: ClientRunner;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });

const deployment = (replicas: number, image = 'nginx:1.27') => [
  'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: web', '  labels:', '    app: web', 'spec:', `  replicas: ${replicas}`,
  '  selector:', '    matchLabels:', '      app: web', '  template:', '    metadata:', '      labels:', '        app: web', '    spec:', '      containers:',
  '      - name: nginx', `        image: ${image}`, '        ports:', '        - containerPort: 80', '      - name: sidecar', '        image: busybox', '        args: ["sleep", "3600"]', '',
].join('\n');

beforeAll(async () => {
  ({ cluster, kubectl135 } = await startClusterWithNewestClients());
});
afterAll(async () => {
  await cluster?.stop();
});

describe('kubectl apply --server-side (kubectl 1.32 and 1.35)', () => {
  it('creates, then is unchanged on a second apply', async () => {
    const first = await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment(2) });
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('deployment.apps/web serverside-applied\n');
    const second = await kubectl135(['apply', '--server-side', '-f', '-'], { input: deployment(2) });
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe('deployment.apps/web serverside-applied\n');
    const live = JSON.parse((await cluster.kubectl(['get', 'deploy', 'web', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(live.metadata.generation).toBe(1);
    const managers = live.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`);
    expect(managers).toEqual(['kubectl/Apply']);
    const fields = live.metadata.managedFields[0].fieldsV1;
    expect(fields['f:spec']['f:replicas']).toEqual({});
    expect(Object.keys(fields['f:spec']['f:template']['f:spec']['f:containers'])).toEqual(['k:{"name":"nginx"}', 'k:{"name":"sidecar"}']);
    expect(fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:ports']).toEqual({ 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } });
  });

  it('refuses to change a field another manager owns (409 naming the manager and the field), then takes it with --force-conflicts', async () => {
    await cluster.kubectl(['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"replicas":5}}']);
    const conflict = await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: deployment(3) });
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/Apply failed with 1 conflict: conflict with "kubectl-patch" using apps\/v1 at \S+Z: \.spec\.replicas/);
    await cluster.kubectl(['scale', 'deployment', 'web', '--replicas=4']);
    const scaled = await kubectl135(['apply', '--server-side', '-f', '-'], { input: deployment(3) });
    expect(scaled.stderr).toContain('.spec.replicas');
    const forced = await kubectl135(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: deployment(3) });
    expect(forced.stderr).toBe('');
    const live = JSON.parse((await cluster.kubectl(['get', 'deploy', 'web', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(live.spec.replicas).toBe(3);
  });

  it('removes a field its manager stops applying, and the container list merges by name', async () => {
    const withoutSidecar = deployment(3).replace(/ {6}- name: sidecar\n.*\n.*\n/, '');
    const res = await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: withoutSidecar.replace('  labels:\n    app: web\n', '') });
    expect(res.stderr).toBe('');
    const live = JSON.parse((await cluster.kubectl(['get', 'deploy', 'web', '-o', 'json'])).stdout);
    expect(live.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['nginx']);
    expect(live.metadata.labels ?? {}).toEqual({});
  });
});

describe('client-side apply, diff and the upgrade to server-side apply', () => {
  const config = (replicas: number) => deployment(replicas).replace(/name: web/, 'name: upgraded').replace(/app: web/g, 'app: upgraded');

  it('kubectl diff shows what an apply would change, without changing it (dryRun=All)', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: config(1) });
    for (const run of [(a: string[], o: { input: string }) => cluster.kubectl(a, o), kubectl135]) {
      const res = await run(['diff', '--server-side', '-f', '-'], { input: config(4) });
      expect(res.code).toBe(1);
      expect(res.stdout).toMatch(/^-\s+replicas: 1$/m);
      expect(res.stdout).toMatch(/^\+\s+replicas: 4$/m);
    }
    expect(JSON.parse((await cluster.kubectl(['get', 'deploy', 'upgraded', '-o', 'json'])).stdout).spec.replicas).toBe(1);
    await cluster.kubectl(['delete', 'deploy', 'upgraded']);
  });

  it('moves what kubectl-client-side-apply owned to the server-side applier, with no conflict', async () => {
    const csa = await cluster.kubectl(['apply', '-f', '-'], { input: config(1) });
    expect(csa.stderr).toBe('');
    expect(csa.stdout).toBe('deployment.apps/upgraded created\n');
    const before = JSON.parse((await cluster.kubectl(['get', 'deploy', 'upgraded', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(before.metadata.managedFields.map((m: { manager: string }) => m.manager)).toEqual(['kubectl-client-side-apply']);
    const ssa = await kubectl135(['apply', '--server-side', '-f', '-'], { input: config(2) });
    expect(ssa.stderr).toBe('');
    const after = JSON.parse((await cluster.kubectl(['get', 'deploy', 'upgraded', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(after.spec.replicas).toBe(2);
    expect(after.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)).toContain('kubectl/Apply');
    expect(JSON.parse(after.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).spec.replicas).toBe(2);
  });
});

describe('server-side apply over the API', () => {
  const apply = (path: string, body: string | object, query = 'fieldManager=tester') => admin(`${path}?${query}`, { method: 'PATCH', contentType: 'application/apply-patch+yaml', body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('creates with 201 and updates with 200', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1' } };
    const created = await apply('/api/v1/namespaces/default/configmaps/applied', cm);
    expect(created.status).toBe(201);
    expect(created.json.metadata.managedFields).toEqual([{ manager: 'tester', operation: 'Apply', apiVersion: 'v1', time: expect.any(String), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }]);
    const updated = await apply('/api/v1/namespaces/default/configmaps/applied', { ...cm, data: { b: '2' } });
    expect(updated.status).toBe(200);
    expect(updated.json.data).toEqual({ b: '2' });
  });

  it('shares a field two managers apply with the same value, and keeps a field another manager still owns', async () => {
    const path = '/api/v1/namespaces/default/configmaps/shared';
    const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' }, data });
    await apply(path, cm({ x: '1', y: '1' }), 'fieldManager=one');
    expect((await apply(path, cm({ x: '1' }), 'fieldManager=two')).status).toBe(200);
    const res = await apply(path, cm({}), 'fieldManager=one');
    expect(res.json.data).toEqual({ x: '1' });
  });

  it('honours dryRun=All for create and update', async () => {
    const path = '/api/v1/namespaces/default/configmaps/dry';
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { a: '1' } };
    expect((await apply(path, cm, 'fieldManager=t&dryRun=All')).status).toBe(201);
    expect((await admin(path)).status).toBe(404);
    await apply(path, cm, 'fieldManager=t');
    expect((await apply(path, { ...cm, data: { a: '2' } }, 'fieldManager=t&dryRun=All')).json.data).toEqual({ a: '2' });
    expect((await admin(path)).json.data).toEqual({ a: '1' });
  });

  it('records an Update manager for every other write, named by fieldManager or the User-Agent', async () => {
    const created = await admin('/api/v1/namespaces/default/configmaps?fieldManager=creator', { method: 'POST', body: { metadata: { name: 'updated' }, data: { a: '1' } } });
    expect(created.json.metadata.managedFields).toEqual([{ manager: 'creator', operation: 'Update', apiVersion: 'v1', time: expect.any(String), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }]);
    const patched = await admin('/api/v1/namespaces/default/configmaps/updated?fieldManager=patcher', { method: 'PATCH', contentType: 'application/merge-patch+json', body: { data: { a: '2', b: '3' } } });
    expect(patched.json.metadata.managedFields.map((m: { manager: string; fieldsV1: unknown }) => [m.manager, m.fieldsV1])).toEqual([['patcher', { 'f:data': { 'f:a': {}, 'f:b': {} } }]]);
  });

  it.each([
    ['a body that is not an object', '- a\n- b\n', 'fieldManager=t', 400],
    ['a body naming another kind than the URL', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad' } }, 'fieldManager=t', 400],
    ['a body without kind', { apiVersion: 'v1', metadata: { name: 'bad' } }, 'fieldManager=t', 400],
    ['a field the schema does not declare', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad' }, spec: { x: 1 } }, 'fieldManager=t', 400],
    ['an apply without fieldManager', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad' } }, '', 422],
  ])('refuses %s and changes nothing', async (_what, body, query, code) => {
    const res = await apply('/api/v1/namespaces/default/configmaps/bad', body, query);
    expect(res.status).toBe(code);
    expect((await admin('/api/v1/namespaces/default/configmaps/bad')).status).toBe(404);
  });
});
