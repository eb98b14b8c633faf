/**
 * Test support for discovery: a CA and serving certificates made with src/pki, a signed
 * cluster-info, and real servers (HTTPS answering crafted cluster-info, or raw TCP misbehaving)
 * on free ports, closed by the tests that start them.
 */
import https from 'node:https';
import net from 'node:net';
import { buildKubeconfig, clusterInfoKubeconfig } from '../../src/kubeconfig/index.js';
import { buildCertificate, encodePrivateKeyPem, generatePrivateKey, loadCertificate, parsePrivateKeyPem } from '../../src/pki/index.js';
import { detachedJWS, parseBootstrapToken } from '../../src/token/index.js';

export interface TestKeyPair {
  certPem: string;
  keyPem: string;
}

const HOUR = 3600_000;

export async function makeTestCA(commonName = 'kubernetes'): Promise<TestKeyPair> {
  const key = await generatePrivateKey('ECDSA-P256');
  const now = Date.now();
  const certPem = buildCertificate(
    { subject: { commonName, organizations: [] }, altNames: { dnsNames: [], ips: [] }, usages: [], isCA: true, notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR) },
    key,
    { key },
  );
  return { certPem, keyPem: encodePrivateKeyPem(key) };
}

export async function makeServingCert(ca: TestKeyPair, names: { dnsNames?: string[]; ips?: string[]; notBefore?: Date; notAfter?: Date }): Promise<TestKeyPair> {
  const key = await generatePrivateKey('ECDSA-P256');
  const now = Date.now();
  const certPem = buildCertificate(
    {
      subject: { commonName: 'kube-apiserver', organizations: [] },
      altNames: { dnsNames: names.dnsNames ?? [], ips: names.ips ?? [] },
      usages: ['serverAuth'],
      isCA: false,
      notBefore: names.notBefore ?? new Date(now - HOUR),
      notAfter: names.notAfter ?? new Date(now + 24 * HOUR),
    },
    key,
    { key: parsePrivateKeyPem(ca.keyPem), certificate: loadCertificate(ca.certPem) },
  );
  return { certPem, keyPem: encodePrivateKeyPem(key) };
}

/** cluster-info's data: the kubeconfig plus a JWS for each token (as the bootstrapsigner writes it). */
export function signedClusterInfoData(kubeconfig: string, tokens: string[]): Record<string, string> {
  const data: Record<string, string> = { kubeconfig };
  for (const token of tokens) {
    const { id, secret } = parseBootstrapToken(token);
    data[`jws-kubeconfig-${id}`] = detachedJWS(kubeconfig, id, secret);
  }
  return data;
}

export { clusterInfoKubeconfig, buildKubeconfig };

export interface TestServer {
  /** `host:port` */
  endpoint: string;
  /** Requests served so far. */
  requests: number;
  close(): Promise<void>;
}

export type ClusterInfoAnswer = { data: Record<string, string> } | { status: number; body: string } | { raw: string };

/** An HTTPS server answering GET cluster-info with `answer()` (evaluated per request). */
export async function startClusterInfoServer(serving: TestKeyPair, answer: () => ClusterInfoAnswer, address = '127.0.0.1'): Promise<TestServer> {
  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => {
    state.requests++;
    const reply = answer();
    if ('raw' in reply) {
      res.socket?.end(reply.raw);
      return;
    }
    if ('status' in reply) {
      res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(reply.body);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: reply.data }));
  });
  const state = await listen(server, address);
  return state;
}

/** A TCP server that does `onConnection` with every connection (garbage, a close…). */
export async function startRawServer(onConnection: (socket: net.Socket) => void, address = '127.0.0.1'): Promise<TestServer> {
  return listen(net.createServer(onConnection), address);
}

async function listen(server: net.Server, address: string): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as net.AddressInfo;
  const state: TestServer = {
    endpoint: `${address}:${port}`,
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** A free port on `address` that nothing listens on (for "unreachable"). */
export async function unusedEndpoint(address = '127.0.0.1'): Promise<string> {
  const server = await startRawServer((s) => s.destroy(), address);
  await server.close();
  return server.endpoint;
}
