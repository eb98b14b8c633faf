import { afterEach, describe, expect, it } from 'vitest';
import { MetricsRegistry } from './controller.js';
import { freePort, httpsGet } from '../../../test/helpers/component-root.js';
import { startHealthServer, type HealthServer } from './health.js';
import { WorkQueue } from './workqueue.js';
import { selfSignedServingCertificate } from '../../pki/index.js';

describe('health server (real HTTPS on a free loopback port)', () => {
  const servers: HealthServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function start(checks: Record<string, () => string | undefined> = {}, metrics = new MetricsRegistry()) {
    const serving = await selfSignedServingCertificate('127.0.0.1', { dnsNames: ['localhost'] }, new Date());
    const tls = { cert: serving.certPem, key: serving.keyPem, ca: serving.caPem };
    const server = await startHealthServer({ host: '127.0.0.1', port: await freePort(), cert: tls.cert, key: tls.key, checks, metrics, leaderName: 'kube-controller-manager', isLeader: () => true });
    servers.push(server);
    return { server, tls };
  }

  it('answers ok on /healthz, /livez and /readyz over TLS that verifies against its own CA', async () => {
    const { server, tls } = await start();
    for (const path of ['/healthz', '/livez', '/readyz']) {
      expect(await httpsGet('127.0.0.1', server.port, path, tls.ca)).toMatchObject({ status: 200, body: 'ok' });
    }
  });

  it('lists its checks with ?verbose', async () => {
    const { server } = await start({ informers: () => undefined });
    expect((await httpsGet('127.0.0.1', server.port, '/readyz?verbose')).body).toBe('[+]ping ok\n[+]informers ok\nreadyz check passed\n');
  });

  it('answers 500 naming the failed check', async () => {
    const { server } = await start({ leaderElection: () => 'lease not renewed for 30s' });
    const res = await httpsGet('127.0.0.1', server.port, '/healthz');
    expect(res.status).toBe(500);
    expect(res.body).toContain('[-]leaderElection failed: lease not renewed for 30s');
  });

  it('serves work-queue depth and adds as Prometheus text on /metrics', async () => {
    const metrics = new MetricsRegistry();
    const queue = new WorkQueue({ name: 'csrapproving' });
    metrics.register(queue);
    queue.add('a');
    queue.add('b');
    queue.add('a');
    const { server } = await start({}, metrics);
    const body = (await httpsGet('127.0.0.1', server.port, '/metrics')).body;
    expect(body).toContain('# TYPE workqueue_depth gauge\nworkqueue_depth{name="csrapproving"} 2');
    expect(body).toContain('workqueue_adds_total{name="csrapproving"} 3');
    expect(body).toContain('leader_election_master_status{name="kube-controller-manager"} 1');
  });

  it('answers 404 elsewhere', async () => {
    const { server } = await start();
    expect((await httpsGet('127.0.0.1', server.port, '/debug')).status).toBe(404);
  });

  it('names the port when it is taken', async () => {
    const { server, tls } = await start();
    await expect(startHealthServer({ host: '127.0.0.1', port: server.port, cert: tls.cert, key: tls.key, checks: {}, metrics: new MetricsRegistry(), leaderName: 'x', isLeader: () => false }))
      .rejects.toMatchObject({ code: 'KF_COMPONENT_BIND', message: expect.stringContaining(`127.0.0.1:${server.port}: EADDRINUSE`) });
  });
});
