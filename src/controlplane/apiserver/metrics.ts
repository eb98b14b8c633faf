/**
 * Prometheus text metrics: request counts and latency histograms by verb, resource and
 * code, and etcd request latency by operation. Served on /metrics. Every label value comes from
 * a bounded set, as upstream's apiserver request metrics: verbs from the API verbs, resources
 * from the registry of kinds (anything else is "other"), and a resource only once the request is
 * authenticated — so no client, least of all an anonymous one, can add series with its URLs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendText } from './http.js';
import type { RequestInfo } from './requestinfo.js';
import { findResource } from './resources.js';

/** The verbs upstream labels (CleanVerb); other methods count as "other". */
const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'post', 'put', 'head', 'options', 'connect']);

/** The resource label of an authenticated request: a served resource, "other" for an unknown one, "" for a non-resource URL. */
export function metricsResource(info: RequestInfo): string {
  if (!info.isResourceRequest) return '';
  return findResource(info.apiGroup, info.apiVersion, info.resource) ? info.resource : 'other';
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  observe(labels: string, seconds: number): void {
    const entry = this.series.get(labels) ?? { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) entry.counts[i] = (entry.counts[i] as number) + 1;
    });
    entry.sum += seconds;
    entry.count++;
    this.series.set(labels, entry);
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [labels, e] of this.series) {
      BUCKETS.forEach((le, i) => lines.push(`${this.name}_bucket{${labels},le="${le}"} ${e.counts[i] as number}`));
      lines.push(`${this.name}_bucket{${labels},le="+Inf"} ${e.count}`, `${this.name}_sum{${labels}} ${e.sum}`, `${this.name}_count{${labels}} ${e.count}`);
    }
    return lines;
  }
}

const label = (value: string) => value.replace(/["\\\n]/g, '_');

export class ApiServerMetrics {
  private readonly requests = new Map<string, number>();
  private readonly terminated = new Map<string, number>();
  private readonly latency = new Histogram('apiserver_request_duration_seconds', 'Response latency distribution in seconds for each verb and resource.');
  private readonly etcd = new Histogram('etcd_request_duration_seconds', 'Etcd request latency in seconds for each operation.');

  observe(method: string, resource: string, code: number, seconds: number): void {
    const verb = VERBS.has(method) ? method : 'other';
    const key = `verb="${label(verb.toUpperCase())}",resource="${label(resource)}",code="${code}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.latency.observe(`verb="${label(verb.toUpperCase())}",resource="${label(resource)}"`, seconds);
  }

  terminatedWatcher(resource: string): void {
    this.terminated.set(resource, (this.terminated.get(resource) ?? 0) + 1);
  }

  observeEtcd(operation: string, seconds: number): void {
    this.etcd.observe(`operation="${label(operation)}"`, seconds);
  }

  render(): string {
    const lines = ['# HELP apiserver_request_total Counter of apiserver requests broken out by verb, resource and HTTP response code.', '# TYPE apiserver_request_total counter'];
    for (const [key, value] of this.requests) lines.push(`apiserver_request_total{${key}} ${value}`);
    lines.push('# HELP apiserver_terminated_watchers_total Counter of watchers closed due to unresponsiveness broken by resource type.', '# TYPE apiserver_terminated_watchers_total counter');
    for (const [resource, value] of this.terminated) lines.push(`apiserver_terminated_watchers_total{resource="${label(resource)}"} ${value}`);
    const memory = process.memoryUsage();
    lines.push('# HELP process_resident_memory_bytes Resident memory size in bytes.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${memory.rss}`);
    return `${[...lines, ...this.latency.render(), ...this.etcd.render()].join('\n')}\n`;
  }

  route() {
    return (_req: IncomingMessage, res: ServerResponse, info: RequestInfo): boolean => {
      if (info.parts.length !== 1 || info.parts[0] !== 'metrics') return false;
      sendText(res, 200, this.render(), 'text/plain; version=0.0.4; charset=utf-8');
      return true;
    };
  }
}
