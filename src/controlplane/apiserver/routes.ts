/**
 * Non-resource endpoints: /livez, /readyz, /healthz (with ?verbose and per-check paths),
 * /version, and the discovery documents.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AGGREGATED_DISCOVERY, aggregatedDiscovery, apiGroupDocument, apiGroupList, apiResourceList, apiVersions, wantsAggregatedDiscovery } from './discovery.js';
import { sendJson, sendText } from './http.js';
import type { RequestInfo } from './requestinfo.js';
import type { NonResourceRoute } from './server.js';
import { pprofResponse } from '../common/pprof.js';

/** /debug/pprof with --profiling (common/pprof.ts); authorized as any non-resource path. */
export function pprofRoute(profiling: boolean): NonResourceRoute {
  return (_req, res, info) => {
    const pprof = pprofResponse(info.path, profiling);
    if (pprof) sendText(res, pprof.status, pprof.body, pprof.contentType);
    return pprof !== undefined;
  };
}

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-kubeforge' };

export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
  /** How long the check may take before it counts as failed (a hung etcd must not hang /readyz). */
  timeoutMs?: number;
}

/** Upstream's healthz checks all finish in a few seconds; no check may hold a probe longer. */
const DEFAULT_CHECK_TIMEOUT_MS = 5000;

function withTimeout(check: HealthCheck): Promise<void> {
  const ms = check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)));
  return Promise.race([check.check(), expired]).finally(() => clearTimeout(timer));
}

export function versionInfo(): Record<string, string> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

async function runChecks(checks: readonly HealthCheck[], only: string | undefined): Promise<Array<{ name: string; error?: string }>> {
  const selected = only ? checks.filter((c) => c.name === only) : checks;
  return Promise.all(
    selected.map(async (c) => {
      try {
        await withTimeout(c);
        return { name: c.name };
      } catch (err) {
        return { name: c.name, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

async function serveHealth(res: ServerResponse, endpoint: string, checks: readonly HealthCheck[], only: string | undefined, verbose: boolean): Promise<boolean> {
  if (only && !checks.some((c) => c.name === only)) return false;
  const results = await runChecks(checks, only);
  const failed = results.filter((r) => r.error !== undefined);
  if (failed.length === 0 && !verbose) {
    sendText(res, 200, 'ok');
    return true;
  }
  const lines = results.map((r) => (r.error === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
  lines.push(failed.length === 0 ? `${endpoint} check passed` : `${endpoint} check failed`);
  sendText(res, failed.length === 0 ? 200 : 500, `${lines.join('\n')}\n`);
  return true;
}

export interface RouteOptions {
  serverAddress: string;
  livez: readonly HealthCheck[];
  readyz: readonly HealthCheck[];
  /** More routes tried after these (OpenAPI, metrics). */
  extra?: NonResourceRoute[];
}

export function nonResourceRoutes(options: RouteOptions): NonResourceRoute {
  return async (req: IncomingMessage, res: ServerResponse, info: RequestInfo) => {
    const [first, second, third, ...rest] = info.parts;
    const verbose = /[?&]verbose(=|&|$)/.test(req.url ?? '');
    if (first === 'livez' && rest.length === 0 && third === undefined) return serveHealth(res, 'livez', options.livez, second, verbose);
    if ((first === 'readyz' || first === 'healthz') && rest.length === 0 && third === undefined) return serveHealth(res, first, options.readyz, second, verbose);
    if (first === 'version' && second === undefined) {
      sendJson(res, 200, versionInfo());
      return true;
    }
    if ((first === 'api' || first === 'apis') && second === undefined && wantsAggregatedDiscovery(req.headers.accept)) {
      sendJson(res, 200, aggregatedDiscovery(first === 'api'), { 'Content-Type': AGGREGATED_DISCOVERY, Vary: 'Accept' });
      return true;
    }
    if (first === 'api' && second === undefined) {
      sendJson(res, 200, apiVersions(options.serverAddress));
      return true;
    }
    if (first === 'api' && second !== undefined && third === undefined) {
      const doc = apiResourceList('', second);
      if (doc) sendJson(res, 200, doc);
      return doc !== undefined;
    }
    if (first === 'apis' && rest.length === 0) {
      const doc = second === undefined ? apiGroupList() : third === undefined ? apiGroupDocument(second) : apiResourceList(second, third);
      if (doc) sendJson(res, 200, doc);
      return doc !== undefined;
    }
    for (const route of options.extra ?? []) if (await route(req, res, info)) return true;
    return false;
  };
}
