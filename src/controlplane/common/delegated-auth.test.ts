import { afterEach, describe, expect, it } from 'vitest';
import { freePort, httpsGet } from '../../../test/helpers/component-root.js';
import { selfSignedServingCertificate } from '../../pki/index.js';
import { MetricsRegistry } from './controller.js';
import { alwaysAllowed, DEFAULT_ALWAYS_ALLOW_PATHS, delegatedAuthorizer } from './delegated-auth.js';
import { startHealthServer, type HealthServer } from './health.js';

/** The API server's side: one valid token; only `reader` may get /metrics. */
function fakeApi() {
  const calls: string[] = [];
  const client = {
    create: async (ref: { resource: string }, body: { spec: { token?: string; user?: string; nonResourceAttributes?: { path: string } } }) => {
      calls.push(ref.resource);
      if (ref.resource === 'tokenreviews') {
        return body.spec.token === 'good' ? { status: { authenticated: true, user: { username: 'reader', groups: ['system:authenticated'] } } } : { status: { user: {} } };
      }
      return { status: { allowed: body.spec.user === 'reader' && body.spec.nonResourceAttributes?.path === '/metrics' } };
    },
  };
  return { calls, client: client as never };
}

describe('delegated authentication and authorization of a component endpoint (real HTTPS)', () => {
  const servers: HealthServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function start() {
    const api = fakeApi();
    const serving = await selfSignedServingCertificate('127.0.0.1', { dnsNames: ['localhost'] }, new Date());
    const server = await startHealthServer({
      host: '127.0.0.1', port: await freePort(), cert: serving.certPem, key: serving.keyPem, checks: {}, metrics: new MetricsRegistry(),
      leaderName: 'kube-scheduler', isLeader: () => true, profiling: true, authorize: delegatedAuthorizer(api.client, DEFAULT_ALWAYS_ALLOW_PATHS),
    });
    servers.push(server);
    const get = (path: string, headers: Record<string, string> = {}) => httpsGet('127.0.0.1', server.port, path, undefined, headers);
    return { api, get };
  }

  it('keeps health open to anyone, and asks the API server nothing for it', async () => {
    const { api, get } = await start();
    for (const path of ['/healthz', '/livez', '/readyz']) expect((await get(path)).status).toBe(200);
    expect(api.calls).toEqual([]);
  });

  it('refuses /metrics and /debug/pprof to an anonymous caller with 403 naming the user and path', async () => {
    const { get } = await start();
    const res = await get('/metrics');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden', message: 'forbidden: User "system:anonymous" cannot get path "/metrics"' });
    expect((await get('/debug/pprof/')).status).toBe(403);
    // An unknown path is authorized before it is looked up: 403, not 404.
    expect((await get('/nope')).status).toBe(403);
  });

  it('serves /metrics to a token the API server vouches for and RBAC allows; 401 for a bad token', async () => {
    const { api, get } = await start();
    expect((await get('/metrics', { authorization: 'Bearer good' })).status).toBe(200);
    expect((await get('/debug/pprof/', { authorization: 'Bearer good' })).status).toBe(403);
    expect((await get('/metrics', { authorization: 'Bearer bad' })).status).toBe(401);
    expect((await get('/metrics', { authorization: 'Basic eDp5' })).status).toBe(401);
    const before = api.calls.length;
    expect((await get('/metrics', { authorization: 'Bearer good' })).status).toBe(200);
    expect(api.calls.length).toBe(before); // both answers came from the 10 s cache
  });

  it('matches always-allowed paths exactly, or by prefix with a trailing *', () => {
    expect(alwaysAllowed(['/healthz', '/debug/*'], '/healthz')).toBe(true);
    expect(alwaysAllowed(['/healthz', '/debug/*'], '/healthz/etcd')).toBe(false);
    expect(alwaysAllowed(['/healthz', '/debug/*'], '/debug/pprof/heap')).toBe(true);
  });
});
