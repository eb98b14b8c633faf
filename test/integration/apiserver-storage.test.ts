import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestCluster, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';

let cluster: TestCluster;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
const configMap = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { a: '1' } });
const CM = '/api/v1/namespaces/default/configmaps';

beforeAll(async () => {
  cluster = await startTestCluster({ bookmarkIntervalMs: 300 });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('storage in etcd', () => {
  it('stores objects under /registry/<resource>/<namespace>/<name> with resourceVersion = mod revision', async () => {
    const created = await admin(CM, { method: 'POST', body: configMap('layout') });
    expect(created.status).toBe(201);
    const etcd = await cluster.etcdctl(['get', '/registry/configmaps/default/layout', '-w', 'json']);
    const kv = JSON.parse(etcd.stdout).kvs[0];
    expect(String(kv.mod_revision)).toBe(created.json.metadata.resourceVersion);
    expect(JSON.parse(Buffer.from(kv.value, 'base64').toString()).data).toEqual({ a: '1' });
  });

  it('creates the system namespaces at start', async () => {
    const keys = (await cluster.etcdctl(['get', '/registry/namespaces/', '--prefix', '--keys-only'])).stdout.split('\n').filter(Boolean);
    expect(keys).toEqual(expect.arrayContaining(['/registry/namespaces/default', '/registry/namespaces/kube-system', '/registry/namespaces/kube-public', '/registry/namespaces/kube-node-lease']));
  });

  it('fills uid, creationTimestamp and a generated name', async () => {
    const res = await admin(CM, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } } });
    expect(res.status).toBe(201);
    expect(res.json.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(res.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('answers 409 AlreadyExists for a second create', async () => {
    await admin(CM, { method: 'POST', body: configMap('twice') });
    const res = await admin(CM, { method: 'POST', body: configMap('twice') });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ kind: 'Status', reason: 'AlreadyExists' });
  });

  it('rejects an update with a stale resourceVersion with 409 Conflict', async () => {
    const created = (await admin(CM, { method: 'POST', body: configMap('occ') })).json;
    const first = await admin(`${CM}/occ`, { method: 'PUT', body: { ...created, data: { a: '2' } } });
    expect(first.status).toBe(200);
    const stale = await admin(`${CM}/occ`, { method: 'PUT', body: { ...created, data: { a: '3' } } });
    expect(stale.status).toBe(409);
    expect(stale.json.reason).toBe('Conflict');
  });

  it('refuses a create in a namespace that does not exist with 404', async () => {
    const res = await admin('/api/v1/namespaces/nowhere/configmaps', { method: 'POST', body: configMap('x') });
    expect(res.status).toBe(404);
    expect(res.json.message).toBe('namespaces "nowhere" not found');
  });

  it('lists with label selectors and pages with limit/continue', async () => {
    for (const i of [1, 2, 3, 4, 5]) await admin(CM, { method: 'POST', body: configMap(`page-${i}`, { labels: { pager: 'yes', n: String(i) } }) });
    const first = await admin(`${CM}?labelSelector=pager%3Dyes&limit=2`);
    expect(first.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['page-1', 'page-2']);
    const second = await admin(`${CM}?labelSelector=pager%3Dyes&limit=2&continue=${first.json.metadata.continue}`);
    expect(second.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['page-3', 'page-4']);
    const notIn = await admin(`${CM}?labelSelector=${encodeURIComponent('pager=yes,n notin (1,2,3)')}`);
    expect(notIn.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['page-4', 'page-5']);
    const byField = await admin(`${CM}?fieldSelector=metadata.name%3Dpage-5`);
    expect(byField.json.items).toHaveLength(1);
  });

  it('deletes, and keeps objects with finalizers until they are removed', async () => {
    await admin(CM, { method: 'POST', body: configMap('fin', { finalizers: ['example.com/hold'] }) });
    const deleting = await admin(`${CM}/fin`, { method: 'DELETE' });
    expect(deleting.json.metadata.deletionTimestamp).toBeDefined();
    expect((await admin(`${CM}/fin`)).status).toBe(200);
    await admin(`${CM}/fin`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
    expect((await admin(`${CM}/fin`)).status).toBe(404);
  });

  it('streams watch events from a resourceVersion, with bookmarks', async () => {
    const start = (await admin(CM, { method: 'POST', body: configMap('watched') })).json.metadata.resourceVersion;
    const https = await import('node:https');
    const { readFile } = await import('node:fs/promises');
    const events: Array<{ type: string; object: { metadata: { name?: string; resourceVersion: string } } }> = [];
    const req = https.request(new URL(`${CM}?watch=true&resourceVersion=${start}&allowWatchBookmarks=true`, cluster.url), {
      ca: await readFile(cluster.pki.ca.cert), cert: await readFile(cluster.pki.admin.cert), key: await readFile(cluster.pki.admin.key),
    });
    let buffered = '';
    req.on('response', (res) => res.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line) events.push(JSON.parse(line));
    }));
    req.end();
    await new Promise((r) => setTimeout(r, 200));
    const created = await admin(CM, { method: 'POST', body: configMap('watched-2') });
    await admin(`${CM}/watched-2`, { method: 'DELETE' });
    await new Promise((r) => setTimeout(r, 800));
    req.destroy();
    const changes = events.filter((e) => e.type !== 'BOOKMARK').map((e) => [e.type, e.object.metadata.name]);
    expect(changes).toEqual([['ADDED', 'watched-2'], ['DELETED', 'watched-2']]);
    expect(events.find((e) => e.type === 'ADDED')?.object.metadata.resourceVersion).toBe(created.json.metadata.resourceVersion);
    expect(events.some((e) => e.type === 'BOOKMARK')).toBe(true);
  });

  it('answers 410 Gone for a watch from a compacted revision', async () => {
    const rv = Number((await admin(CM, { method: 'POST', body: configMap('compact-me') })).json.metadata.resourceVersion);
    await admin(`${CM}/compact-me`, { method: 'PUT', body: { ...configMap('compact-me'), data: { changed: 'yes' } } });
    expect((await cluster.etcdctl(['compact', String(rv + 1)])).code).toBe(0);
    const res = await admin(`${CM}?watch=true&resourceVersion=${rv - 1}`);
    expect(res.status).toBe(410);
    expect(res.json.reason).toBe('Expired');
  });
});

describe('bad input', () => {
  it('answers 400 for a malformed JSON body', async () => {
    const res = await admin(CM, { method: 'POST', body: '{"kind": "ConfigMap", ' });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });

  it('answers 413 for a body over 3 MiB', async () => {
    const res = await admin(CM, { method: 'POST', body: configMap('big', { annotations: { big: 'x'.repeat(3 * 1024 * 1024 + 10) } }) });
    expect(res.status).toBe(413);
  });

  it('answers 415 for an unknown content type', async () => {
    const res = await admin(CM, { method: 'POST', body: 'name: x', contentType: 'text/csv' });
    expect(res.status).toBe(415);
  });

  it('accepts a YAML body', async () => {
    const res = await admin(CM, { method: 'POST', contentType: 'application/yaml', body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n' });
    expect(res.status).toBe(201);
  });

  it('answers 404 with a clear message for an unknown group/version or resource', async () => {
    const res = await admin('/apis/example.com/v9/widgets');
    expect(res.status).toBe(404);
    expect(res.json.message).toContain('example.com/v9 widgets');
  });

  it('answers 422 with causes for an invalid name', async () => {
    const res = await admin(CM, { method: 'POST', body: configMap('Not_Valid') });
    expect(res.status).toBe(422);
    expect(res.json.reason).toBe('Invalid');
    expect(res.json.details.causes[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueInvalid' });
  });

  it('answers 422 for a label value over 63 characters', async () => {
    const res = await admin(CM, { method: 'POST', body: configMap('long-label', { labels: { k: 'v'.repeat(64) } }) });
    expect(res.status).toBe(422);
    expect(res.json.details.causes[0].field).toBe('metadata.labels');
  });

  it('answers 400 for a resourceVersion that is not a number', async () => {
    const res = await admin(`${CM}?resourceVersion=abc`);
    expect(res.status).toBe(400);
  });

  it('never lets a name escape its key (path traversal)', async () => {
    const res = await admin(`${CM}/..%2F..%2Fsecrets%2Fkube-system%2Fx`);
    expect([400, 404]).toContain(res.status);
    const dots = await admin(`${CM}/%2E%2E`);
    expect(dots.status).toBe(400);
    expect((await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: configMap('../../etc') })).status).toBe(422);
  });
});
