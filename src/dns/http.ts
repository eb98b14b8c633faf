/**
 * CoreDNS's HTTP endpoints: `health` (GET /health → 200 OK while the process serves), `ready`
 * (GET /ready → 200 OK once every plugin that reports readiness is ready, else 503 with their
 * names, e.g. `kubernetes` until its first list), and `prometheus` (GET /metrics, CoreDNS's
 * metric names). Each one is a plain HTTP server on its own address, as in CoreDNS.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpEndpoint {
  port: number;
  close(): Promise<void>;
}

/** `:8080` → all addresses, `localhost:9153`, `[::1]:9153`. */
export function splitAddress(address: string): { host: string | undefined; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host: host || undefined, port: Number(address.slice(i + 1)) };
}

export async function serveHttp(address: string, routes: Record<string, () => { status: number; body: string; type?: string }>): Promise<HttpEndpoint> {
  const server = http.createServer((req, res) => {
    const route = routes[(req.url ?? '/').split('?')[0]!];
    const { status, body, type } = route ? route() : { status: 404, body: '404 page not found\n' };
    res.writeHead(status, { 'Content-Type': type ?? 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const { host, port } = splitAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => (server.off('error', reject), resolve()));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface MetricsSource {
  requests: Map<string, number>;
  responses: Map<string, number>;
  cacheHits: number;
  cacheMisses: number;
  cacheSize: number;
  version: string;
}

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** Prometheus text with CoreDNS's metric names for what this server counts. */
export function metricsText(m: MetricsSource, server: string): string {
  const lines = [
    '# HELP coredns_build_info A metric with a constant \'1\' value labeled by version, revision, and goversion from which CoreDNS was built.',
    '# TYPE coredns_build_info gauge',
    `coredns_build_info{goversion="node${process.versions.node}",revision="kubeforge",version="${m.version}"} 1`,
    '# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.',
    '# TYPE coredns_dns_requests_total counter',
    ...[...m.requests].map(([key, n]) => {
      const [proto, type] = key.split('|');
      return `coredns_dns_requests_total{proto="${proto}",server="${server}",type="${type}"} ${n}`;
    }),
    '# HELP coredns_dns_responses_total Counter of response status codes.',
    '# TYPE coredns_dns_responses_total counter',
    ...[...m.responses].map(([code, n]) => `coredns_dns_responses_total{rcode="${RCODE_NAMES[Number(code)] ?? code}",server="${server}"} ${n}`),
    '# HELP coredns_cache_hits_total The count of cache hits.',
    '# TYPE coredns_cache_hits_total counter',
    `coredns_cache_hits_total{server="${server}"} ${m.cacheHits}`,
    '# HELP coredns_cache_misses_total The count of cache misses.',
    '# TYPE coredns_cache_misses_total counter',
    `coredns_cache_misses_total{server="${server}"} ${m.cacheMisses}`,
    '# HELP coredns_cache_entries The number of elements in the cache.',
    '# TYPE coredns_cache_entries gauge',
    `coredns_cache_entries{server="${server}"} ${m.cacheSize}`,
  ];
  return `${lines.join('\n')}\n`;
}
