/**
 * Calls one webhook over HTTPS, as upstream's webhook client: `clientConfig.url`, or
 * `clientConfig.service` addressed as https://<svc>.<ns>.svc:<port><path> and dialled at a
 * ready endpoint of the Service (upstream's --enable-aggregator-routing: the API server does
 * not use cluster DNS), the certificate verified against caBundle (else the system roots) for
 * that name. The call carries `?timeout=<n>s` and is cut at timeoutSeconds. Failures are
 * WebhookCallErrors with Go's wording, so messages read as upstream's.
 */
import https from 'node:https';
import { isIP } from 'node:net';
import type { KubeObject } from '../storage.js';
import { WebhookCallError } from './review.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => !!x && typeof x === 'object') : []);

/** What resolving a Service needs: the Service and the EndpointSlices labelled with its name. */
export interface ServiceLookup {
  service(namespace: string, name: string): Promise<KubeObject | undefined>;
  endpointSlices(namespace: string, service: string): Promise<KubeObject[]>;
}

/** Where a call goes: the URL named in messages, the address dialled and the name checked. */
export interface WebhookTarget {
  url: URL;
  dial: { host: string; port: number };
  serverName: string | undefined;
  ca: Buffer | undefined;
}

/** upstream's ResolveEndpoint over EndpointSlices: a ready address of the slice port named as the Service port. */
export async function resolveService(lookup: ServiceLookup, namespace: string, name: string, port: number): Promise<{ host: string; port: number }> {
  const svc = await lookup.service(namespace, name);
  if (!svc) throw new Error(`service "${name}" not found`);
  const spec = obj(svc.spec);
  const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
  if (type === 'ExternalName') return { host: String(spec.externalName ?? ''), port };
  if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type)) throw new Error(`unsupported service type "${type}"`);
  const svcPort = list(spec.ports).find((p) => p.port === port);
  if (!svcPort) throw new Error(`no service port ${port} found for service "${name}"`);
  const portName = typeof svcPort.name === 'string' ? svcPort.name : '';
  const candidates: Array<{ host: string; port: number }> = [];
  for (const slice of await lookup.endpointSlices(namespace, name)) {
    const slicePort = list(slice.ports).find((p) => (typeof p.name === 'string' ? p.name : '') === portName);
    if (!slicePort || typeof slicePort.port !== 'number') continue;
    for (const endpoint of list(slice.endpoints)) {
      if (obj(endpoint.conditions).ready === false) continue;
      for (const address of Array.isArray(endpoint.addresses) ? endpoint.addresses : []) if (typeof address === 'string') candidates.push({ host: address, port: slicePort.port });
    }
  }
  const picked = candidates[Math.floor(Math.random() * candidates.length)];
  if (!picked) throw new Error(`no endpoints available for service "${name}"`);
  return picked;
}

const hostPort = (host: string, port: number) => `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;

/** The target of a clientConfig (url, or service resolved now); undefined fields of it are upstream's defaults. */
export async function webhookTarget(webhook: string, clientConfig: unknown, timeoutSeconds: number, lookup: ServiceLookup): Promise<WebhookTarget> {
  const cc = obj(clientConfig);
  const ca = typeof cc.caBundle === 'string' && cc.caBundle !== '' ? Buffer.from(cc.caBundle, 'base64') : undefined;
  let url: URL;
  let dial: { host: string; port: number } | undefined;
  let serverName: string | undefined;
  const svc = obj(cc.service);
  const port = typeof svc.port === 'number' ? svc.port : 443;
  try {
    if (typeof cc.url === 'string') url = new URL(cc.url);
    else {
      serverName = `${String(svc.name)}.${String(svc.namespace)}.svc`;
      url = new URL(`https://${serverName}:${port}${typeof svc.path === 'string' ? svc.path : ''}`);
    }
  } catch (err) {
    throw new WebhookCallError(webhook, `could not get REST client: ${err instanceof Error ? err.message : String(err)}`);
  }
  url.searchParams.set('timeout', `${timeoutSeconds}s`);
  // As upstream's dialer, a Service that cannot be resolved fails the POST to its name.
  if (cc.url === undefined) {
    dial = await resolveService(lookup, String(svc.namespace), String(svc.name), port).catch((err: unknown) => {
      throw new WebhookCallError(webhook, `failed to call webhook: Post "${url.href}": ${err instanceof Error ? err.message : String(err)}`);
    });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { url, dial: dial ?? { host, port: Number(url.port || 443) }, serverName: serverName ?? (isIP(host) ? undefined : host), ca };
}

/** Node's error codes in Go's words (upstream's messages name the Go error). */
function goError(err: NodeJS.ErrnoException, dial: { host: string; port: number }): string {
  const address = hostPort(dial.host, dial.port);
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'ECONNRESET':
      return `read tcp ${address}: read: connection reset by peer`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: ${err.message}`;
    default:
      return err.message;
  }
}

/** POSTs the review and answers the decoded JSON body; every failure is a WebhookCallError. */
export function postReview(webhook: string, target: WebhookTarget, review: unknown, timeoutSeconds: number): Promise<unknown> {
  const body = Buffer.from(JSON.stringify(review));
  // Transport errors name the POST (Go's url.Error); errors reading the answer do not.
  const fail = (reason: string) => new WebhookCallError(webhook, `failed to call webhook: Post "${target.url.href}": ${reason}`);
  const unreadable = (reason: string) => new WebhookCallError(webhook, `failed to call webhook: ${reason}`);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: target.dial.host,
        port: target.dial.port,
        path: `${target.url.pathname}${target.url.search}`,
        method: 'POST',
        ...(target.ca ? { ca: target.ca } : {}),
        // No SNI for an IP address (RFC 6066); the certificate is then checked for the IP.
        servername: target.serverName ?? '',
        headers: { host: target.url.host, 'content-type': 'application/json', accept: 'application/json, */*', 'content-length': body.length },
        // A fresh connection per call: the next call may resolve the Service to another endpoint.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(fail(goError(err, target.dial))));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch (err) {
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) return reject(unreadable(`an error on the server (${JSON.stringify(text.slice(0, 200))}) has prevented the request from succeeding`));
            return reject(unreadable(`couldn't get version/kind; json parse error: ${err instanceof Error ? err.message : String(err)}`));
          }
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            const message = obj(parsed).kind === 'Status' && typeof obj(parsed).message === 'string' ? String(obj(parsed).message) : `the server responded with the status code ${status} but did not return more information`;
            return reject(unreadable(message));
          }
          resolve(parsed);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('context deadline exceeded'), { code: 'ETIMEDOUT_WEBHOOK' })), timeoutSeconds * 1000);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(fail(err.code === 'ETIMEDOUT_WEBHOOK' ? 'context deadline exceeded' : goError(err, target.dial)));
    });
    req.end(body);
  });
}
