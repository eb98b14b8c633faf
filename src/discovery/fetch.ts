/**
 * One anonymous GET of kube-public/cluster-info over TLS, either trusting nothing (the first,
 * unverified read) or trusting exactly one CA bundle with the host name checked (the second read).
 * Every failure is classified into a DiscoveryError that names the cause: unreachable, closed,
 * not HTTPS, forbidden, TLS name mismatch (with the names the certificate holds), clock skew…
 */
import https from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { errorMessage } from '../errors.js';
import { DiscoveryError } from './errors.js';

export const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
const MAX_BODY_BYTES = 1024 * 1024;

export interface FetchOptions {
  /** PEM bundle to trust; undefined reads without verifying the server (kubeadm's insecure client). */
  ca?: string;
  timeoutMs?: number;
  /** For tests: the time certificates are judged against. */
  now?: () => Date;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'KF_TIMEOUT']);
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** `host:port` (IPv6 in brackets) → URL parts. */
export function endpointParts(endpoint: string): { host: string; port: number } {
  const url = new URL(`https://${endpoint.replace(/^https:\/\//, '')}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443) };
}

function certificateNames(cert: PeerCertificate): string {
  const names = (cert.subjectaltname ?? '').split(', ').filter(Boolean).map((n) => n.replace(/^IP Address:/, '').replace(/^DNS:/, ''));
  return names.length ? names.join(', ') : `no subject alternative names (CN=${cert.subject?.CN ?? '?'})`;
}

/** The DiscoveryError for a TLS verification failure, from the peer certificate Node saw. */
function tlsError(code: string, endpoint: string, host: string, cert: PeerCertificate, now: Date): DiscoveryError {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new DiscoveryError('KF_DISCOVERY_TLS_NAME_MISMATCH', `the API server's certificate at ${endpoint} is not valid for "${host}"; it is valid for: ${certificateNames(cert)}`);
  }
  if (code === 'CERT_NOT_YET_VALID') {
    const from = new Date(cert.valid_from);
    return new DiscoveryError('KF_DISCOVERY_CLOCK_SKEW', `clock skew: the API server's certificate at ${endpoint} is not valid before ${from.toISOString()}, but this machine's clock says ${now.toISOString()} (${Math.round((from.getTime() - now.getTime()) / 1000)}s behind)`);
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return new DiscoveryError('KF_DISCOVERY_CERT_EXPIRED', `the API server's certificate at ${endpoint} expired at ${new Date(cert.valid_to).toISOString()} (this machine's clock says ${now.toISOString()})`);
  }
  return new DiscoveryError('KF_DISCOVERY_TLS_UNTRUSTED', `the API server's certificate at ${endpoint} is not signed by the cluster CA (${code}); it was issued by "${cert.issuer?.CN ?? '?'}"`);
}

function transportError(err: unknown, endpoint: string): DiscoveryError {
  const code = (err as { code?: string }).code ?? '';
  const detail = errorMessage(err);
  const { host, port } = endpointParts(endpoint);
  if (UNREACHABLE.has(code)) return new DiscoveryError('KF_DISCOVERY_UNREACHABLE', `cannot reach the API server at ${host} port ${port}: ${detail}`, { cause: err });
  if (CLOSED.has(code) || /socket hang up|disconnected before secure TLS/.test(detail)) {
    return new DiscoveryError('KF_DISCOVERY_CONNECTION_CLOSED', `the server at ${host} port ${port} closed the connection before answering (${detail})`, { cause: err });
  }
  return new DiscoveryError('KF_DISCOVERY_PROTOCOL', `the server at ${host} port ${port} did not answer with HTTPS (${detail})`, { cause: err });
}

function httpError(status: number, body: string, endpoint: string): DiscoveryError {
  const message = (() => {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 200);
    } catch {
      return body.slice(0, 200);
    }
  })();
  if (status === 401 || status === 403) return new DiscoveryError('KF_DISCOVERY_FORBIDDEN', `the API server at ${endpoint} answered ${status} to an anonymous read of cluster-info: ${message}`);
  if (status === 404) return new DiscoveryError('KF_DISCOVERY_NO_CLUSTER_INFO', `the API server at ${endpoint} has no kube-public/cluster-info ConfigMap (404)`);
  return new DiscoveryError(status >= 500 || status === 429 ? 'KF_DISCOVERY_HTTP' : 'KF_DISCOVERY_PROTOCOL', `the API server at ${endpoint} answered HTTP ${status} to GET cluster-info: ${message}`);
}

/** The `data` of the cluster-info ConfigMap, or a DiscoveryError saying why there is none. */
export function fetchClusterInfo(endpoint: string, options: FetchOptions = {}): Promise<Record<string, string>> {
  const { host, port } = endpointParts(endpoint);
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = https.request({
      host,
      port,
      path: CLUSTER_INFO_PATH,
      method: 'GET',
      headers: { Accept: 'application/json', 'User-Agent': 'kubeforge-join' },
      // Certificates are judged below, where the failure can be named; no session is reused
      // between the unverified and the verified read (a resumed session skips the name check).
      rejectUnauthorized: false,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      agent: false,
      timeout: timeoutMs,
    });
    const fail = (err: DiscoveryError) => {
      reject(err);
      req.destroy();
    };
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        const tls = socket as TLSSocket;
        if (options.ca === undefined || tls.authorized) return;
        fail(tlsError(String(tls.authorizationError), endpoint, host, tls.getPeerCertificate(), now()));
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'KF_TIMEOUT' })));
    req.on('error', (err) => reject(transportError(err, endpoint)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) return fail(new DiscoveryError('KF_DISCOVERY_PROTOCOL', `the server at ${endpoint} sent more than ${MAX_BODY_BYTES} bytes for cluster-info`));
        chunks.push(chunk);
      });
      res.on('error', (err) => reject(transportError(err, endpoint)));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status !== 200) return reject(httpError(status, body, endpoint));
        let object: unknown;
        try {
          object = JSON.parse(body);
        } catch (err) {
          return reject(new DiscoveryError('KF_DISCOVERY_PROTOCOL', `the server at ${endpoint} answered cluster-info with a body that is not JSON`, { cause: err }));
        }
        const configMap = object as { kind?: unknown; data?: unknown } | null;
        const data = configMap?.kind === 'ConfigMap' ? (configMap.data ?? {}) : undefined;
        if (typeof data !== 'object' || data === null || Object.values(data).some((v) => typeof v !== 'string')) {
          return reject(new DiscoveryError('KF_DISCOVERY_PROTOCOL', `the server at ${endpoint} answered cluster-info with something that is not a ConfigMap`));
        }
        resolve(data as Record<string, string>);
      });
    });
    req.end();
  });
}
