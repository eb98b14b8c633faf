import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubeApiserver } from '../../src/controlplane/apiserver/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { apiRequest, apiServerArgs, freePort, startEtcd, startEtcdCluster, stopChild, type ApiRequest } from '../helpers/apiserver-harness.js';
import { makeTestPki, type TestPki } from '../helpers/pki.js';

let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kf-apiserver-resilience-'));
  pki = await makeTestPki(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await apiRequest(url, pki, '/readyz').then((r) => r.status, () => 0)) === 200) return;
    await sleep(100);
  }
  throw new Error(`API server at ${url} never became ready`);
}

const main = path.resolve('dist/controlplane/apiserver/main.js');

describe('API server crash (kill -9) during writes', () => {
  it('keeps every acknowledged write exactly once across a restart', async () => {
    const etcd = await startEtcd(dir, pki, 'crash-etcd');
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const start = () => spawn(process.execPath, [main, ...apiServerArgs(pki, [etcd.endpoint], port)], { stdio: 'ignore' });
    let server: ChildProcess = start();
    const admin = (p: string, request: ApiRequest = {}) => apiRequest(url, pki, p, { client: pki.admin, ...request });
    try {
      await waitReady(url);
      const WRITES = 60;
      const acknowledged: string[] = [];
      let retried = 0;
      // The client: one object per logical write, a fixed name per write so a retry is idempotent.
      const writer = (async () => {
        for (let i = 0; i < WRITES; i++) {
          const name = `write-${String(i).padStart(3, '0')}`;
          for (let attempt = 0; ; attempt++) {
            const res = await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name }, data: { index: String(i) } } }).catch(() => undefined);
            // 409 on a retry: an earlier attempt was applied but its answer was lost.
            if (res?.status === 201 || (res?.status === 409 && attempt > 0)) {
              acknowledged.push(name);
              break;
            }
            if (res && res.status < 500 && res.status !== 409) throw new Error(`write ${name}: ${res.status} ${res.text}`);
            retried++;
            await sleep(50);
          }
        }
      })();
      while (acknowledged.length < 20) await sleep(5);
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
      await sleep(300); // writes fail while the server is down
      server = start();
      await writer;
      expect(retried).toBeGreaterThan(0);
      const list = (await admin('/api/v1/namespaces/default/configmaps')).json;
      const stored = (list.items as Array<{ metadata: { name: string }; data: { index: string } }>).filter((cm) => cm.metadata.name.startsWith('write-'));
      expect(acknowledged).toHaveLength(WRITES);
      expect(stored.map((cm) => cm.metadata.name).sort()).toEqual([...acknowledged].sort());
      for (const cm of stored) expect(Number(cm.data.index)).toBe(Number(cm.metadata.name.slice(6)));
    } finally {
      await stopChild(server, 'SIGKILL');
      await etcd.stop();
    }
  });
});

describe('several --etcd-servers', () => {
  it('keeps serving reads and writes when one member of a 3-member etcd cluster dies', async () => {
    const members = await startEtcdCluster(dir, pki, 3);
    const port = await freePort();
    const server = await runKubeApiserver(apiServerArgs(pki, members.map((m) => m.endpoint), port), { logger: createMemoryLogger() });
    const url = `https://127.0.0.1:${port}`;
    const admin = (p: string, request: ApiRequest = {}) => apiRequest(url, pki, p, { client: pki.admin, ...request });
    try {
      await server.ready;
      expect((await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: 'before' } } })).status).toBe(201);
      await members[0]?.kill();
      for (let i = 0; i < 10; i++) {
        expect((await admin('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { metadata: { name: `after-${i}` } } })).status).toBe(201);
        expect((await admin('/api/v1/namespaces/default/configmaps/before')).status).toBe(200);
      }
      expect((await admin('/readyz')).status).toBe(200);
      expect((await admin('/api/v1/namespaces/default/configmaps')).json.items).toHaveLength(11);
    } finally {
      await server.close();
      // SIGKILL: a member of a degraded cluster takes seconds to stop gracefully, and its data is thrown away.
      await Promise.all(members.map((m) => m.kill()));
    }
  });
});
