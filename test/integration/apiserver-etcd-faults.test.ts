/**
 * The API server's runtime when etcd or clients misbehave (issue 11: findings 12, 13; issue 16:
 * item 3): compaction and 410 Gone for compacted revisions, watchers that never read, an etcd
 * that hangs, and an etcd restarted under a running server. Real etcd, the real API server.
 */
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runKubeApiserver } from '../../src/controlplane/apiserver/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { apiRequest, apiServerArgs, freePort, startTestCluster, type ApiRequest, type ApiResponse, type TestCluster } from '../helpers/apiserver-harness.js';
import { issueCert, type KeyPair } from '../helpers/pki.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The request's answer, or 'no answer' when it takes longer than `ms`. */
function within(ms: number, request: Promise<ApiResponse>): Promise<ApiResponse | 'no answer'> {
  return Promise.race([request, sleep(ms).then(() => 'no answer' as const)]);
}

interface WatchStream {
  events: Array<{ type: string; object: { metadata: { name: string } } }>;
  ended: boolean;
  close(): void;
}

/** A watch over HTTPS; `read: false` is a client that never reads what it is sent. */
async function openWatch(cluster: TestCluster, path: string, read: boolean, client: KeyPair = cluster.pki.admin): Promise<WatchStream> {
  const [ca, cert, key] = await Promise.all([readFile(cluster.pki.ca.cert), readFile(client.cert), readFile(client.key)]);
  const url = new URL(cluster.url);
  return new Promise((resolve, reject) => {
    const stream: WatchStream = { events: [], ended: false, close: () => req.destroy() };
    const req = https.request({ host: url.hostname, port: url.port, path, ca, cert, key, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch ${path}: ${res.statusCode}`));
      if (!read) {
        res.pause();
        return resolve(stream);
      }
      let buffered = '';
      res.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let at: number;
        while ((at = buffered.indexOf('\n')) >= 0) {
          stream.events.push(JSON.parse(buffered.slice(0, at)));
          buffered = buffered.slice(at + 1);
        }
      });
      res.on('close', () => (stream.ended = true));
      resolve(stream);
    });
    req.on('error', () => (stream.ended = true));
    req.end();
  });
}

describe('etcd compaction (finding 12)', () => {
  let cluster: TestCluster;
  const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
  beforeAll(async () => {
    cluster = await startTestCluster({ extraArgs: ['--etcd-compaction-interval=1s'] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('compacts on --etcd-compaction-interval, so a deleted Secret is gone at its old resourceVersion (410)', async () => {
    const created = await admin('/api/v1/namespaces/default/secrets', { method: 'POST', body: { metadata: { name: 'old' }, stringData: { password: 'hunter2' } } });
    expect(created.status).toBe(201);
    const rv = created.json.metadata.resourceVersion as string;
    expect((await admin('/api/v1/namespaces/default/secrets/old', { method: 'DELETE' })).status).toBe(200);
    const gone = await eventually('the compaction of the deleted Secret', async () => {
      const res = await admin(`/api/v1/namespaces/default/secrets?resourceVersion=${rv}&resourceVersionMatch=Exact`);
      return res.status === 410 ? res : undefined;
    });
    expect(gone.json).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    const watch = await admin(`/api/v1/namespaces/default/secrets?watch=1&resourceVersion=${rv}`);
    expect(watch.status).toBe(410);
    // Upstream's bookkeeping key, shared by every API server on this etcd.
    const key = await cluster.etcdctl(['get', 'compact_rev_key', '-w', 'json']);
    const kv = JSON.parse(key.stdout).kvs[0];
    expect(Number(Buffer.from(kv.value, 'base64').toString())).toBeGreaterThan(0);
    expect(kv.version).toBeGreaterThan(1);
  });

  it('two API servers on one etcd take turns: at most one compaction round per interval', async () => {
    const port = await freePort();
    const second = await runKubeApiserver(apiServerArgs(cluster.pki, [cluster.etcd.endpoint], port, ['--etcd-compaction-interval=1s']), { logger: createMemoryLogger() });
    try {
      await second.ready;
      const version = async () => JSON.parse((await cluster.etcdctl(['get', 'compact_rev_key', '-w', 'json'])).stdout).kvs[0].version as number;
      const [v1, t1] = [await version(), Date.now()];
      await sleep(6000);
      const [v2, t2] = [await version(), Date.now()];
      // Each round that wins the compare-and-swap bumps the key's version once; the loser only learns it.
      expect(v2 - v1).toBeGreaterThan(0);
      expect(v2 - v1).toBeLessThanOrEqual(Math.ceil((t2 - t1) / 1000) + 1);
    } finally {
      await second.close();
    }
  });
});

describe('watchers that do not read (finding 13)', () => {
  let cluster: TestCluster;
  const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
  const streams: WatchStream[] = [];
  beforeAll(async () => {
    cluster = await startTestCluster();
    expect((await admin('/api/v1/namespaces', { method: 'POST', body: { metadata: { name: 'slow' } } })).status).toBe(201);
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await cluster?.stop();
  });

  it('closes each watcher whose unread events pile up, keeps the one that reads', async () => {
    const SLOW = 8;
    const EVENTS = 12;
    const path = '/api/v1/namespaces/slow/configmaps?watch=1';
    for (let i = 0; i < SLOW; i++) streams.push(await openWatch(cluster, path, false));
    const reader = await openWatch(cluster, path, true);
    streams.push(reader);
    const value = 'x'.repeat(1_000_000);
    expect((await admin('/api/v1/namespaces/slow/configmaps', { method: 'POST', body: { metadata: { name: 'big' }, data: { value } } })).status).toBe(201);
    for (let i = 1; i < EVENTS; i++) {
      const res = await admin('/api/v1/namespaces/slow/configmaps/big', { method: 'PATCH', contentType: 'application/merge-patch+json', body: { data: { value: `${i}${value.slice(1)}` } } });
      expect(res.status).toBe(200);
    }
    const terminated = await eventually('every non-reading watcher closed', async () => {
      const text = (await admin('/metrics')).text;
      const count = Number(/apiserver_terminated_watchers_total\{resource="configmaps"\} (\d+)/.exec(text)?.[1] ?? 0);
      return count >= SLOW ? count : undefined;
    });
    expect(terminated).toBe(SLOW);
    await eventually('the reading watcher saw every event', async () => (reader.events.length >= EVENTS ? true : undefined));
    expect(reader.events.map((e) => e.type)).toEqual(['ADDED', ...Array<string>(EVENTS - 1).fill('MODIFIED')]);
    expect(reader.ended).toBe(false);
  });
});

describe('a hung etcd (issue 16: deadlines)', () => {
  let cluster: TestCluster;
  const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
  beforeAll(async () => {
    cluster = await startTestCluster({ extraArgs: ['--request-timeout=3s', '--etcd-readycheck-timeout=1s'] });
  });
  afterEach(() => cluster?.etcd.resume());
  afterAll(async () => {
    await cluster?.stop();
  });

  it('/readyz fails within its timeout, requests fail at their deadline, and both recover when etcd answers again', async () => {
    expect((await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'before' } } })).status).toBe(201);
    cluster.etcd.freeze();
    const ready = await within(15_000, apiRequest(cluster.url, cluster.pki, '/readyz?verbose'));
    expect(ready).not.toBe('no answer');
    expect((ready as ApiResponse).status).toBe(500);
    expect((ready as ApiResponse).text).toContain('[-]etcd failed');
    const read = await within(20_000, admin('/api/v1/namespaces/default/configmaps/before'));
    expect(read).not.toBe('no answer');
    expect((read as ApiResponse).status).toBe(504);
    const watch = await within(20_000, admin('/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1'));
    expect(watch).not.toBe('no answer');
    expect((watch as ApiResponse).status).toBeGreaterThanOrEqual(500);
    cluster.etcd.resume();
    await eventually('/readyz again', async () => ((await apiRequest(cluster.url, cluster.pki, '/readyz')).status === 200 ? true : undefined));
    expect((await admin('/api/v1/namespaces/default/configmaps/before')).status).toBe(200);
  });
});

describe('etcd restarted under a running API server (issue 16)', () => {
  let cluster: TestCluster;
  let bob: KeyPair;
  const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
  const streams: WatchStream[] = [];
  beforeAll(async () => {
    cluster = await startTestCluster({ extraArgs: ['--request-timeout=5s'] });
    bob = await issueCert(cluster.dir, cluster.pki.ca, 'bob', { cn: 'bob', usage: 'clientAuth' });
    expect((await admin('/api/v1/namespaces', { method: 'POST', body: { metadata: { name: 'rt' } } })).status).toBe(201);
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await cluster?.stop();
  });

  it('reads, writes, watches and authorization recover', async () => {
    const before = await openWatch(cluster, '/api/v1/namespaces/rt/configmaps?watch=1', true);
    streams.push(before);
    expect((await admin('/api/v1/namespaces/rt/configmaps', { method: 'POST', body: { metadata: { name: 'one' } } })).status).toBe(201);
    await cluster.etcd.stop();
    const down = await within(20_000, admin('/api/v1/namespaces/rt/configmaps/one'));
    expect(down).not.toBe('no answer');
    expect((down as ApiResponse).status).toBeGreaterThanOrEqual(500);
    await cluster.etcd.restart();

    await eventually('reads', async () => ((await admin('/api/v1/namespaces/rt/configmaps/one')).status === 200 ? true : undefined));
    expect((await admin('/api/v1/namespaces/rt/configmaps', { method: 'POST', body: { metadata: { name: 'two' } } })).status).toBe(201);
    const after = await openWatch(cluster, '/api/v1/namespaces/rt/configmaps?watch=1', true);
    streams.push(after);
    expect((await admin('/api/v1/namespaces/rt/configmaps', { method: 'POST', body: { metadata: { name: 'three' } } })).status).toBe(201);
    await eventually('a new watch sees the new object', async () => (after.events.some((e) => e.object.metadata.name === 'three') ? true : undefined));
    // The watch opened before the restart follows on (etcd3 resumes it), or ends so that its client relists.
    await eventually('the old watch resumed or ended', async () => (before.ended || before.events.some((e) => e.object.metadata.name === 'three') ? true : undefined));

    // Authorization: a RoleBinding made after the restart reaches the RBAC cache.
    expect((await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces/rt/configmaps', { client: bob })).status).toBe(403);
    const binding = { metadata: { name: 'bob-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' }] };
    expect((await admin('/apis/rbac.authorization.k8s.io/v1/namespaces/rt/rolebindings', { method: 'POST', body: binding })).status).toBe(201);
    await eventually('bob may list configmaps', async () => ((await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces/rt/configmaps', { client: bob })).status === 200 ? true : undefined));
  });
});
