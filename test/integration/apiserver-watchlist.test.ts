import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { startClusterWithNewestClients, type ClientRunner } from '../helpers/newest-clients.js';

let cluster: TestCluster;
let kubectl135: ClientRunner;
let kubectl135Path: string;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
const events = (text: string) => text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string; resourceVersion: string; annotations?: Record<string, string> } } });

beforeAll(async () => {
  let clients;
  ({ cluster, kubectl135, clients } = await startClusterWithNewestClients());
  kubectl135Path = clients.kubectl;
  for (const name of ['one', 'two']) await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name } } });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('streaming lists (watch with sendInitialEvents)', () => {
  it('sends the objects as ADDED, then a BOOKMARK marking the end of the initial events at the list revision, then the watch', async () => {
    const list = await admin('/api/v1/namespaces/default/configmaps');
    const res = await admin('/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1');
    expect(res.status).toBe(200);
    const got = events(res.text);
    expect(got.slice(0, 2).map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'one'], ['ADDED', 'two']]);
    expect(got[2]).toMatchObject({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });
    expect(Number(got[2]?.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(list.json.metadata.resourceVersion));
  });

  it('streams changes made after the initial events', async () => {
    const url = new URL(`${cluster.url}/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=3`);
    const pending = admin(url.pathname + url.search);
    await new Promise((r) => setTimeout(r, 1000));
    await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'three' } } });
    const got = events((await pending).text);
    const end = got.findIndex((e) => e.type === 'BOOKMARK');
    expect(end).toBeGreaterThan(0);
    expect(got.slice(end + 1).map((e) => [e.type, e.object.metadata.name])).toContainEqual(['ADDED', 'three']);
  });

  it('with sendInitialEvents=false watches from now, without replaying the objects', async () => {
    const res = await admin('/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1');
    expect(res.status).toBe(200);
    expect(events(res.text).filter((e) => e.type !== 'BOOKMARK')).toEqual([]);
  });

  it.each([
    ['watch=true&sendInitialEvents=true', 'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
    ['watch=true&resourceVersion=5&resourceVersionMatch=NotOlderThan', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
    ['watch=true&sendInitialEvents=true&resourceVersionMatch=Exact', 'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"'],
    ['sendInitialEvents=true', 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
    ['resourceVersionMatch=Exact', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
    ['resourceVersion=0&resourceVersionMatch=Exact', 'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
  ])('refuses %s with 422 as upstream', async (query, message) => {
    const res = await admin(`/api/v1/namespaces/default/configmaps?${query}`);
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { group: 'meta.k8s.io', kind: 'ListOptions' } });
    expect(res.json.message).toContain(message);
  });

  it('refuses a sendInitialEvents that is not a boolean with 400', async () => {
    const res = await admin('/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=maybe&resourceVersionMatch=NotOlderThan');
    expect(res.status).toBe(400);
    expect(res.json.reason).toBe('BadRequest');
  });
});

describe('kubectl 1.35 (client-go with WatchList)', () => {
  it('kubectl wait --for=condition=Ready returns as soon as the node is Ready', async () => {
    await admin('/api/v1/nodes', { method: 'POST', body: { metadata: { name: 'cp1' }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok' }] } } });
    const started = Date.now();
    const res = await kubectl135(['wait', '--for=condition=Ready', 'node/cp1', '--timeout=50s']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('node/cp1 condition met\n');
    expect(res.code).toBe(0);
    // Well inside its timeout: it did not wait for it.
    expect(Date.now() - started).toBeLessThan(40_000);
  });

  it('kubectl delete ns waits for the namespace to go, and returns once it is gone', async () => {
    expect((await kubectl135(['create', 'ns', 'doomed'])).stdout).toBe('namespace/doomed created\n');
    const child = spawn(kubectl135Path, ['--kubeconfig', cluster.kubeconfig, 'delete', 'ns', 'doomed', '--timeout=50s'], { env: { ...process.env, HOME: cluster.dir } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    try {
      // No controller manager here: the test finalizes the namespace as its namespace controller would.
      for (;;) {
        const ns = await admin('/api/v1/namespaces/doomed');
        if (ns.json.metadata?.deletionTimestamp) {
          const done = await admin('/api/v1/namespaces/doomed/finalize', { method: 'PUT', body: { ...ns.json, spec: { finalizers: [] } } });
          expect(done.status).toBe(200);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await exited).toBe(0);
      expect(stdout).toBe('namespace "doomed" deleted\n');
      expect((await admin('/api/v1/namespaces/doomed')).status).toBe(404);
    } finally {
      child.kill();
    }
  });
});
