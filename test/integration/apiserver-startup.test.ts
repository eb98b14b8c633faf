import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubeApiserver, type RunningApiServer } from '../../src/controlplane/apiserver/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { apiRequest, apiServerArgs, freePort, startEtcd } from '../helpers/apiserver-harness.js';
import { makeTestPki, type TestPki } from '../helpers/pki.js';

let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kf-apiserver-start-'));
  pki = await makeTestPki(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('API server start-up', () => {
  it('serves /livez but reports /readyz failing until etcd answers, then becomes ready', async () => {
    const etcdPort = await freePort();
    const port = await freePort();
    const logger = createMemoryLogger(2);
    const server: RunningApiServer = await runKubeApiserver(apiServerArgs(pki, [`https://127.0.0.1:${etcdPort}`], port), { logger });
    try {
      const url = `https://127.0.0.1:${port}`;
      expect((await apiRequest(url, pki, '/livez')).status).toBe(200);
      const notReady = await apiRequest(url, pki, '/readyz?verbose');
      expect(notReady.status).toBe(500);
      expect(notReady.text).toContain('[-]poststarthook/rbac/bootstrap-roles failed');
      expect(logger.lines.join('\n')).toMatch(/accepted but not used: --allow-privileged$/m);
      expect((await apiRequest(url, pki, '/livez')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('fails with a coded error when the serving certificate is missing', async () => {
    const args = apiServerArgs(pki, ['https://127.0.0.1:1'], await freePort()).filter((a) => !a.startsWith('--tls-cert-file'));
    await expect(runKubeApiserver(args, { logger: createMemoryLogger() })).rejects.toMatchObject({ code: 'KF_APISERVER_FLAG_MISSING' });
  });

  it('exposes request and etcd metrics to system:masters', async () => {
    const etcd = await startEtcd(dir, pki, 'metrics-etcd');
    const port = await freePort();
    const server = await runKubeApiserver(apiServerArgs(pki, [etcd.endpoint], port), { logger: createMemoryLogger() });
    try {
      await server.ready;
      const url = `https://127.0.0.1:${port}`;
      await apiRequest(url, pki, '/api/v1/namespaces', { client: pki.admin });
      const metrics = await apiRequest(url, pki, '/metrics', { client: pki.admin });
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/apiserver_request_total\{verb="LIST",resource="namespaces",code="200"\} 1/);
      expect(metrics.text).toContain('etcd_request_duration_seconds_count{operation="list"}');
      expect((await apiRequest(url, pki, '/metrics')).status).toBe(401);
    } finally {
      await server.close();
      await etcd.stop();
    }
  });

  const main = path.resolve('dist/controlplane/apiserver/main.js');
  it('runs standalone from the build and exits cleanly on SIGTERM', async () => {
    const etcd = await startEtcd(dir, pki, 'standalone-etcd');
    const port = await freePort();
    const child = spawn(process.execPath, [main, ...apiServerArgs(pki, [etcd.endpoint], port)], { stdio: 'ignore' });
    try {
      const url = `https://127.0.0.1:${port}`;
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        status = await apiRequest(url, pki, '/readyz').then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 5000))])).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await etcd.stop();
    }
  });
});
