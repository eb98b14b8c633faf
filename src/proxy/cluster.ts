/**
 * Which cluster a proxy serves on this machine, and which proxy renders its rules. The chain
 * prefix comes from the cluster CA (every node of a cluster trusts the same one, two clusters
 * never do). Nodes of one cluster on one machine share one kernel, so exactly one of their
 * proxies renders: the one holding an abstract unix socket named after the prefix. The kernel
 * frees that name when its holder dies, however it dies; the others retry and take over.
 * Abstract sockets belong to the network namespace, as the rules do.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { KubeforgeError } from '../errors.js';

/** `KF` + 6 hex digits of the SHA-256 of the CA certificate's DER. */
export function clusterPrefix(caPem: string): string {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(caPem)?.[1];
  if (!body) throw new KubeforgeError('KF_PROXY_CA', 'kube-proxy: the kubeconfig has no PEM certificate authority', { hint: 'check clientConnection.kubeconfig in the kube-proxy configuration' });
  return `KF${createHash('sha256').update(Buffer.from(body.replace(/\s+/g, ''), 'base64')).digest('hex').slice(0, 6).toUpperCase()}`;
}

export interface ProxyLock {
  release(): Promise<void>;
}

/** Takes the prefix's lock, or resolves undefined when another live process holds it. */
export function tryProxyLock(prefix: string): Promise<ProxyLock | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen(`\0kubeforge-kube-proxy-${prefix}`, () => {
      server.unref();
      resolve({ release: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}
