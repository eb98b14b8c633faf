/**
 * The agent's API on <node-ip>:10250, the subset of the kubelet's server the control plane
 * uses: `GET /healthz`, `GET /pods` (the static pods with their status), `GET /metrics` (the
 * certificate expiry gauges, Prometheus text) and
 * `GET /containerLogs/<ns>/<pod>/<container>?tailLines=&limitBytes=&follow=` (what the API
 * server proxies `kubectl logs` to), and the streaming `/exec`, `/attach`, `/portForward` (kubelet-streams.ts). HTTPS with the node's self-signed serving certificate;
 * every request needs a client certificate signed by the cluster CA (authentication.x509.
 * clientCAFile), and only the API server's kubelet client identity or system:masters may use it.
 * The kubelet asks the API server (Webhook authorization); this agent decides from a fixed table.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { KubeforgeError } from '../errors.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import type { Component } from './component-manager.js';
import { streamContainerLog } from './container-logs.js';
import { criLogDecoder, previousAttemptLog } from './cri/cri-log.js';
import { parseStreamTarget, serveStream, STREAM_KINDS, type PodStreams, type StreamKind } from './kubelet-streams.js';
import { serveUpgrades } from '../streaming/upgrade.js';
import type { StaticPod } from './pod.js';
import { ensureServingCertificate } from './serving-cert.js';
import type { StaticPodView } from './static-pods.js';

export const KUBELET_PORT = 10250;

/** Who may use the agent's API: an identity matches a row when it has the user (if set) and the group. */
export const KUBELET_API_CLIENTS: ReadonlyArray<{ user?: string; group: string }> = [
  { user: 'kube-apiserver-kubelet-client', group: 'kubeadm:cluster-admins' },
  { group: 'system:masters' },
];

export interface ClientIdentity {
  user: string;
  groups: string[];
}

export function mayUseKubeletApi(identity: ClientIdentity): boolean {
  return KUBELET_API_CLIENTS.some((row) => (row.user === undefined || row.user === identity.user) && identity.groups.includes(row.group));
}

export interface KubeletServerOptions {
  host: Host;
  nodeName: string;
  nodeIP: string;
  /** 10250; 0 picks a free port (tests). */
  port: number;
  /** Logical path of the CA that signs client certificates (/etc/kubernetes/pki/ca.crt). */
  clientCAFile: string;
  pods: () => StaticPodView[];
  logPath: (pod: StaticPod, container: string) => string;
  /** `cri` for CRI log files (decoded for the reader), `raw` for the process runner's plain ones. */
  logFormat?: (pod: StaticPod) => 'cri' | 'raw';
  /** The runner that streams (exec, attach, port-forward) for a pod, if any. */
  streams?: (pod: StaticPod) => PodStreams | undefined;
  /** The Prometheus text served on /metrics. */
  metrics?: () => string;
  log: Logger;
}

/** The path's segments, unescaped; undefined when a %-escape is malformed. */
function decodedSegments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: string | object): void {
  const json = typeof body !== 'string';
  res.writeHead(status, { 'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8' });
  res.end(json ? JSON.stringify(body) : body);
}

function identityOf(req: IncomingMessage): ClientIdentity | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[] | undefined> | undefined;
  if (!subject?.CN) return undefined;
  const o = subject.O;
  return { user: String(subject.CN), groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

const intParam = (value: string | null) => (value !== null && /^\d+$/.test(value) ? Number(value) : undefined);

export class KubeletServer implements Component {
  readonly name = 'kubelet-server';
  private server: https.Server | undefined;
  private boundPort = 0;

  constructor(private readonly options: KubeletServerOptions) {}

  /** The port it listens on (after start). */
  port(): number {
    return this.boundPort;
  }

  async init(): Promise<void> {}

  async start(): Promise<void> {
    const { host, nodeName, nodeIP, clientCAFile } = this.options;
    const serving = await ensureServingCertificate(host, nodeName, nodeIP);
    const ca = await host.files.tryReadFile(clientCAFile);
    if (!ca) {
      throw new KubeforgeError('KF_AGENT_CLIENT_CA_MISSING', `the client CA ${host.files.resolve(clientCAFile)} does not exist`, {
        hint: 'run `kubeforge init phase certs ca` (or join) with the same --root, or fix authentication.x509.clientCAFile in the KubeletConfiguration',
      });
    }
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      void this.handle(req, res).catch((err: unknown) => {
        this.options.log.warn(`agent: kubelet API ${req.method ?? ''} ${req.url ?? ''}: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) send(res, 500, 'Internal Server Error');
        else res.end();
      });
    };
    const server = https.createServer({ cert: serving.certPem, key: serving.keyPem, ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, handler);
    serveUpgrades(server, handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new KubeforgeError('KF_AGENT_PORT_IN_USE', `the agent cannot listen on ${nodeIP}:${this.options.port}: ${err.message}`, {
          cause: err,
          hint: 'another agent or kubelet holds the port; stop it (kubeforge reset) or use another --node-ip',
        })),
      );
      server.listen(this.options.port, nodeIP, () => resolve());
    });
    this.server = server;
    this.boundPort = (server.address() as { port: number }).port;
    this.options.log.info(`agent: serving the kubelet API on https://${nodeIP}:${this.boundPort}`);
  }

  async ready(): Promise<void> {}

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = decodedSegments(url.pathname);
    // Go's HTTP server refuses a path it cannot unescape before any handler or authentication runs.
    if (!parts) return send(res, 400, '400 Bad Request');
    const identity = identityOf(req);
    if (!identity) return send(res, 401, 'Unauthorized');
    const [first] = parts;
    if (!mayUseKubeletApi(identity)) {
      const sub = first === 'containerLogs' ? 'log' : first === 'healthz' || first === 'metrics' ? first : 'proxy';
      return send(res, 403, `Forbidden (user=${identity.user}, verb=get, resource=nodes, subresource(s)=[${sub}])`);
    }
    if (STREAM_KINDS.includes(first!) && (req.method === 'GET' || req.method === 'POST')) {
      const target = parseStreamTarget(first as StreamKind, parts.slice(1), url.searchParams);
      if ('error' in target) return send(res, target.error === 'not found' ? 404 : 400, target.error === 'not found' ? '404 page not found' : target.error);
      return serveStream(req, res, target, this.options.pods(), (pod) => this.options.streams?.(pod));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method Not Allowed');
    if (first === 'healthz' && parts.length === 1) return send(res, 200, 'ok');
    if (first === 'pods' && parts.length === 1) return send(res, 200, this.podList());
    if (first === 'metrics' && parts.length === 1 && this.options.metrics) {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(this.options.metrics());
    }
    if (first === 'containerLogs' && parts.length === 4) return this.containerLogs(res, parts[1]!, parts[2]!, parts[3]!, url.searchParams);
    return send(res, 404, '404 page not found');
  }

  private podList(): object {
    const { nodeName } = this.options;
    const items = this.options.pods().map(({ pod, status }) => ({ ...pod.pod, spec: { ...pod.pod.spec, nodeName }, status }));
    return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items };
  }

  private async containerLogs(res: ServerResponse, namespace: string, podName: string, container: string, query: URLSearchParams): Promise<void> {
    const view = this.options.pods().find((v) => v.pod.pod.metadata.namespace === namespace && v.pod.pod.metadata.name === podName);
    if (!view) return send(res, 404, `pod "${podName}" in namespace "${namespace}" not found on node "${this.options.nodeName}"`);
    if (!view.pod.pod.spec.containers.some((c) => c.name === container)) return send(res, 404, `container "${container}" not found in pod "${podName}"`);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    const cri = this.options.logFormat?.(view.pod) === 'cri';
    let file = this.options.logPath(view.pod, container);
    if (query.get('previous') === 'true') {
      const previous = cri ? await previousAttemptLog(file) : undefined;
      if (!previous) {
        res.end(`previous terminated container "${container}" in pod "${podName}" not found\n`);
        return;
      }
      file = previous;
    }
    const sinceSeconds = intParam(query.get('sinceSeconds'));
    const sinceTime = query.get('sinceTime');
    const since = sinceSeconds !== undefined ? new Date(Date.now() - sinceSeconds * 1000) : sinceTime ? new Date(sinceTime) : undefined;
    const out = cri ? criLogDecoder(res, { timestamps: query.get('timestamps') === 'true', ...(since && !Number.isNaN(since.getTime()) ? { since } : {}) }) : res;
    try {
      await streamContainerLog(file, out, {
        tailLines: intParam(query.get('tailLines')),
        limitBytes: intParam(query.get('limitBytes')),
        follow: query.get('follow') === 'true' && query.get('previous') !== 'true',
        signal: abort.signal,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (out !== res) await new Promise<void>((resolve) => out.end(resolve));
    res.end();
  }
}
