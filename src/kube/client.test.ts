import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedServingCertificate } from '../pki/index.js';
import { isNotFound, KubeApiError, KubeClient, resourcePath, type KubeObject } from './client.js';

let server: https.Server;
let client: KubeClient;
const seen: Array<{ method?: string; url?: string; auth?: string; type?: string; body: string }> = [];
/** Resolves when a request to a `/silent` path (never answered) is closed by the client. */
let silentClosed: Promise<void> = Promise.resolve();

beforeAll(async () => {
  const tls = await selfSignedServingCertificate('127.0.0.1', {}, new Date());
  server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body: Buffer.concat(chunks).toString() });
      if (req.url?.endsWith('/silent')) {
        silentClosed = new Promise((resolve) => res.once('close', resolve));
      } else if (req.url?.includes('/namespaces/held/') && req.url.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }); // a watch that stays open
        res.write('');
      } else if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODI');
        setTimeout(() => res.end('FIED","object":{"metadata":{"name":"a"}}}\n'), 20);
      } else if (req.method === 'POST' && (req.url?.endsWith('/services') || req.url?.endsWith('/configmaps'))) {
        res.writeHead(422, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Invalid', message: 'provided IP is already allocated', code: 422 }));
      } else if (req.url?.endsWith('/missing')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'configmaps "missing" not found', code: 404 }));
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ metadata: { name: 'x', resourceVersion: '7' } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  client = new KubeClient({ server: `https://127.0.0.1:${port}`, ca: tls.caPem, token: 'abcdef.0123456789abcdef' });
});

afterAll(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('KubeClient', () => {
  it('updates an existing Service whose create is refused as Invalid (its clusterIP is allocated), as kubeadm does', async () => {
    const ref = { version: 'v1', resource: 'services', namespace: 'kube-system' };
    const updated = await client.createOrUpdate<KubeObject>(ref, { metadata: { name: 'kube-dns' }, spec: { clusterIP: '10.96.0.10' } });
    expect(updated.metadata.resourceVersion).toBe('7');
    const put = seen.at(-1)!;
    expect([put.method, put.url]).toEqual(['PUT', '/api/v1/namespaces/kube-system/services/kube-dns']);
    expect(JSON.parse(put.body).metadata.resourceVersion).toBe('7');
  });

  it('does not take Invalid as "exists" for other kinds', async () => {
    const create = client.createOrUpdate({ version: 'v1', resource: 'configmaps', namespace: 'default' }, { metadata: { name: 'c' } });
    await expect(create).rejects.toMatchObject({ status: 422 });
  });

  it('builds core and group resource paths', () => {
    expect(resourcePath({ version: 'v1', resource: 'secrets', namespace: 'kube-system', name: 'x' })).toBe('/api/v1/namespaces/kube-system/secrets/x');
    expect(resourcePath({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-node-lease' })).toBe('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
    expect(resourcePath({ group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests', name: 'c', subresource: 'approval' })).toBe('/apis/certificates.k8s.io/v1/certificatesigningrequests/c/approval');
  });

  it('sends the bearer token and a typed patch content type', async () => {
    await client.patch({ version: 'v1', resource: 'nodes', name: 'n1' }, { metadata: { labels: { a: 'b' } } }, 'strategic');
    const last = seen.at(-1)!;
    expect(last.method).toBe('PATCH');
    expect(last.auth).toBe('Bearer abcdef.0123456789abcdef');
    expect(last.type).toBe('application/strategic-merge-patch+json');
    expect(JSON.parse(last.body)).toEqual({ metadata: { labels: { a: 'b' } } });
  });

  it('turns a Status response into a KubeApiError with its reason', async () => {
    const err = await client.get({ version: 'v1', resource: 'configmaps', namespace: 'default', name: 'missing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(isNotFound(err)).toBe(true);
    expect((err as KubeApiError).code).toBe('KF_API_NOT_FOUND');
    expect((err as KubeApiError).message).toContain('configmaps "missing" not found');
  });

  it('streams watch events split across chunks', async () => {
    const events = [];
    for await (const event of client.watch({ version: 'v1', resource: 'configmaps', namespace: 'default' })) events.push(event.type);
    expect(events).toEqual(['ADDED', 'MODIFIED']);
  });

  it('ends every request of a withSignal view when its signal aborts, closing the connection', async () => {
    const abort = new AbortController();
    const pending = client.withSignal(abort.signal).get({ version: 'v1', resource: 'configmaps', namespace: 'default', name: 'silent' });
    await expect.poll(() => seen.at(-1)?.url).toBe('/api/v1/namespaces/default/configmaps/silent');
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: 'KF_API_UNREACHABLE' });
    await silentClosed;
    // the view shares the client's connections: the client itself still works
    await expect(client.get({ version: 'v1', resource: 'configmaps', namespace: 'default', name: 'x' })).resolves.toMatchObject({ metadata: { name: 'x' } });
  });

  it('reports an unreachable server with its address and a hint', async () => {
    const dead = new KubeClient({ server: 'https://127.0.0.1:1', ca: '' });
    const err = (await dead.get({ version: 'v1', resource: 'namespaces' }).catch((e: unknown) => e)) as KubeApiError;
    expect(err.code).toBe('KF_API_UNREACHABLE');
    expect(err.message).toContain('https://127.0.0.1:1');
    expect(err.hint).toBeTruthy();
  });
});

describe('watches and requests', () => {
  it('answers a request while 20 watches hold their connections (watches never take the request pool)', async () => {
    const stop = new AbortController();
    const watches = Array.from({ length: 20 }, () => client.watch({ group: '', version: 'v1', resource: 'configmaps', namespace: 'held' }, {}, stop.signal)[Symbol.asyncIterator]());
    const pending = watches.map((w) => w.next().catch(() => undefined));
    try {
      await expect(client.get({ group: '', version: 'v1', resource: 'configmaps', namespace: 'default', name: 'x' })).resolves.toMatchObject({ metadata: { name: 'x' } });
    } finally {
      stop.abort();
      await Promise.all(pending);
    }
  });
});
