/**
 * The HTTPS endpoint of kube-controller-manager and kube-scheduler: /healthz, /livez and
 * /readyz (`ok`, or with `?verbose` one `[+]check ok` line per check), /metrics in
 * Prometheus text (work-queue depth, adds and retries; whether this instance leads), and
 * /debug/pprof with --profiling. Every path but the always-allowed health ones is authorized
 * first (delegated-auth.ts), so metrics and profiles are not open to anyone who can connect.
 * Upstream serves with an in-memory self-signed certificate when no --tls-cert-file is given.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureVersion } from 'node:tls';
import { KubeforgeError } from '../../errors.js';
import type { MetricsRegistry } from './controller.js';
import type { EndpointAuthorizer } from './delegated-auth.js';
import { pprofResponse } from './pprof.js';

export type HealthCheck = () => string | undefined;

export interface HealthServerOptions {
  host: string;
  port: number;
  cert: string | Buffer;
  key: string | Buffer;
  /** --tls-min-version (TLS 1.2 by default, as Go's servers). */
  minVersion?: SecureVersion;
  /** Named checks: undefined is healthy, a string says what is wrong. */
  checks: Record<string, HealthCheck>;
  metrics: MetricsRegistry;
  /** For `leader_election_master_status`. */
  leaderName: string;
  isLeader: () => boolean;
  /** --profiling: serve /debug/pprof (pprof.ts). */
  profiling?: boolean;
  /** The CA client certificates are verified against (delegated authentication). */
  clientCa?: string | Buffer;
  /** Decides who may see what; without it every path is open (tests of the endpoint alone). */
  authorize?: EndpointAuthorizer;
}

export interface HealthServer {
  host: string;
  port: number;
  /** Client certificates are verified against `ca` from now on (it was learned late). */
  setClientCa(ca: string | Buffer): void;
  close(): Promise<void>;
}

function prometheusText(metrics: MetricsRegistry, leaderName: string, leading: boolean): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string, value: (q: MetricsRegistry['queues'][number]) => number) => {
    lines.push(`# HELP ${name} [ALPHA] ${help}`, `# TYPE ${name} ${type}`);
    for (const q of metrics.queues) lines.push(`${name}{name="${q.name}"} ${value(q)}`);
  };
  family('workqueue_depth', 'gauge', 'Current depth of workqueue', (q) => q.depth());
  family('workqueue_adds_total', 'counter', 'Total number of adds handled by workqueue', (q) => q.adds);
  family('workqueue_retries_total', 'counter', 'Total number of retries handled by workqueue', (q) => q.retries);
  lines.push('# HELP leader_election_master_status [ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.', '# TYPE leader_election_master_status gauge', `leader_election_master_status{name="${leaderName}"} ${leading ? 1 : 0}`);
  return `${lines.join('\n')}\n`;
}

function healthBody(checks: Record<string, HealthCheck>, path: string, verbose: boolean): { status: number; body: string } {
  const results = Object.entries({ ping: () => undefined, ...checks }).map(([name, check]) => ({ name, problem: check() }));
  const failed = results.filter((r) => r.problem !== undefined);
  const what = path.slice(1);
  if (!failed.length && !verbose) return { status: 200, body: 'ok' };
  const lines = results.map((r) => (r.problem === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.problem}`));
  lines.push(failed.length ? `${what} check failed` : `${what} check passed`);
  return { status: failed.length ? 500 : 200, body: `${lines.join('\n')}\n` };
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const tls = { cert: options.cert, key: options.key, minVersion: options.minVersion ?? 'TLSv1.2' as SecureVersion };
  // A client certificate is asked for, never required: a scraper may use a token instead. Until
  // the client CA is known, a certificate cannot be verified and is refused by authorize.
  const server = https.createServer({ ...tls, requestCert: true, rejectUnauthorized: false, ...(options.clientCa ? { ca: options.clientCa } : {}) }, (req, res) => void respond(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }));
  const respond = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    const refusal = await options.authorize?.(req, url.pathname);
    if (refusal) return send(refusal.status, refusal.body, 'application/json');
    if (url.pathname === '/healthz' || url.pathname === '/livez' || url.pathname === '/readyz') {
      const { status, body } = healthBody(options.checks, url.pathname, url.searchParams.has('verbose'));
      return send(status, body);
    }
    if (url.pathname === '/metrics') return send(200, prometheusText(options.metrics, options.leaderName, options.isLeader()), 'text/plain; version=0.0.4; charset=utf-8');
    const pprof = pprofResponse(url.pathname, options.profiling ?? false);
    if (pprof) return send(pprof.status, pprof.body, pprof.contentType);
    send(404, '404 page not found');
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new KubeforgeError('KF_COMPONENT_BIND', `cannot serve on ${options.host}:${options.port}: ${err.code ?? err.message}`, { cause: err, hint: err.code === 'EADDRINUSE' ? `another process listens on port ${options.port}; stop it or change --secure-port` : 'check --bind-address and --secure-port' })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: options.host,
    port: address.port,
    setClientCa: (ca) => server.setSecureContext({ ...tls, ca }),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
