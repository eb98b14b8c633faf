/**
 * The agent's :10250 server answers a path it cannot unescape as Go's HTTP server does (issue 11,
 * finding 15): 400 Bad Request, before authentication, never 500. A real KubeletServer on its own
 * loopback address, with a serving certificate it makes and a client certificate from the test CA.
 */
import { mkdir, mkdtemp, readFile, rm, copyFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeletServer } from '../../src/agent/kubelet-server.js';
import { createHost } from '../../src/host/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { makeTestPki, type KeyPair, type TestPki } from '../helpers/pki.js';

const NODE_IP = '127.0.0.110';
let dir: string;
let pki: TestPki;
let server: KubeletServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kf-kubelet-escapes-'));
  await mkdir(path.join(dir, 'pki'));
  pki = await makeTestPki(path.join(dir, 'pki'));
  const root = path.join(dir, 'root');
  await mkdir(path.join(root, 'etc/kubernetes/pki'), { recursive: true });
  await copyFile(pki.ca.cert, path.join(root, 'etc/kubernetes/pki/ca.crt'));
  server = new KubeletServer({
    host: createHost(root), nodeName: 'w1', nodeIP: NODE_IP, port: 0, clientCAFile: '/etc/kubernetes/pki/ca.crt',
    pods: () => [], logPath: () => '/nonexistent', log: createMemoryLogger(),
  });
  await server.start();
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function get(urlPath: string, client?: KeyPair): Promise<{ status: number; body: string }> {
  const [cert, key] = client ? await Promise.all([readFile(client.cert), readFile(client.key)]) : [undefined, undefined];
  return new Promise((resolve, reject) => {
    const req = https.request({ host: NODE_IP, port: server.port(), path: urlPath, cert, key, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the kubelet API and malformed %-escapes', () => {
  it.each(['/containerLogs/%zz/pod/c', '/containerLogs/default/%E0%A4%A/c', '/pods/%'])('answers 400 to %s from a cluster admin', async (urlPath) => {
    const res = await get(urlPath, pki.admin);
    expect(res.status).toBe(400);
    expect(res.body).toContain('Bad Request');
  });

  it('answers 400 before authentication, as Go\'s server parses the request line first', async () => {
    expect((await get('/containerLogs/%zz/pod/c')).status).toBe(400);
  });

  it('still serves well-formed escapes (the check can pass)', async () => {
    expect((await get('/containerLogs/default/web%2D1/c', pki.admin)).status).toBe(404);
    expect((await get('/healthz', pki.admin)).status).toBe(200);
  });
});
