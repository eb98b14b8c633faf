import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedServingCertificate } from '../pki/index.js';
import type { Container, Probe } from './pod.js';
import { countOutcome, initialCounter } from './prober.js';
import { resolvePort, runProbe, type ProbeTarget } from './probe.js';

const container: Container = { name: 'c', image: 'i', ports: [{ name: 'probe-port', containerPort: 0 }] };
const target = (exec: ProbeTarget['exec'] = async () => ({ exitCode: 0, output: '' })): ProbeTarget => ({ podIP: '127.0.0.1', container, exec });

let httpServer: http.Server;
let httpsServer: https.Server;
const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
const handler: http.RequestListener = (req, res) => {
  if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3000);
  const code = req.url === '/redirect' ? 302 : req.url === '/fail' ? 503 : req.headers['user-agent']?.startsWith('kube-probe/') ? 200 : 400;
  res.writeHead(code, code === 302 ? { location: '/elsewhere' } : {}).end();
};

beforeAll(async () => {
  const tls = await selfSignedServingCertificate('self-signed', {}, new Date());
  httpServer = http.createServer(handler);
  httpsServer = https.createServer({ key: tls.keyPem, cert: tls.certPem }, handler);
  await Promise.all([httpServer, httpsServer].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});

afterAll(() => {
  httpServer.closeAllConnections();
  httpsServer.closeAllConnections();
  httpServer.close();
  httpsServer.close();
});

describe('probe actions', () => {
  it('httpGet passes on 2xx and 3xx (sending kube-probe as User-Agent) and fails on other codes', async () => {
    const probe = (p: string): Probe => ({ httpGet: { port: port(httpServer), path: p } });
    expect((await runProbe(probe('/healthz'), target())).success).toBe(true);
    expect((await runProbe(probe('/redirect'), target())).success).toBe(true);
    expect(await runProbe(probe('/fail'), target())).toEqual({ success: false, message: expect.stringContaining('returned 503') });
  });

  it('httpGet over HTTPS does not verify the serving certificate', async () => {
    expect((await runProbe({ httpGet: { port: port(httpsServer), path: '/livez', scheme: 'HTTPS', host: '127.0.0.1' } }, target())).success).toBe(true);
  });

  it('httpGet fails after timeoutSeconds', async () => {
    // /slow answers 200 after 3 s: a failure naming the 1 s timeout proves the probe gave up first.
    const outcome = await runProbe({ httpGet: { port: port(httpServer), path: '/slow' }, timeoutSeconds: 1 }, target());
    expect(outcome).toEqual({ success: false, message: expect.stringContaining('timed out after 1000ms') });
  });

  it('tcpSocket passes when a connection opens and fails when refused', async () => {
    expect((await runProbe({ tcpSocket: { port: port(httpServer) } }, target())).success).toBe(true);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freed = port(closed);
    await new Promise((r) => closed.close(r));
    expect(await runProbe({ tcpSocket: { port: freed } }, target())).toEqual({ success: false, message: expect.stringContaining('ECONNREFUSED') });
  });

  it('exec passes on exit code 0 only, through the runner', async () => {
    const seen: string[][] = [];
    const exec: ProbeTarget['exec'] = async (command) => {
      seen.push(command);
      return { exitCode: command[0] === 'ok' ? 0 : 1, output: 'out' };
    };
    expect((await runProbe({ exec: { command: ['ok'] } }, target(exec))).success).toBe(true);
    expect((await runProbe({ exec: { command: ['bad'] } }, target(exec))).success).toBe(false);
    expect(seen).toEqual([['ok'], ['bad']]);
  });

  it('resolves named ports from the container', () => {
    expect(resolvePort('probe-port', container)).toBe(0);
    expect(resolvePort('8080', container)).toBe(8080);
    expect(resolvePort('missing', container)).toBeUndefined();
  });
});

describe('probe thresholds', () => {
  it('flips readiness after successThreshold successes and back after failureThreshold failures', () => {
    const probe: Probe = { successThreshold: 2, failureThreshold: 3 };
    let c = initialCounter('readiness');
    expect(c.result).toBe(false);
    const results: (boolean | undefined)[] = [];
    for (const ok of [true, true, false, false, true, false, false, false]) {
      c = countOutcome('readiness', probe, c, ok);
      results.push(c.result);
    }
    expect(results).toEqual([false, true, true, true, true, true, true, false]);
  });

  it('starts liveness as passing and startup as unknown; both use a success threshold of 1', () => {
    expect(initialCounter('liveness').result).toBe(true);
    expect(initialCounter('startup').result).toBeUndefined();
    expect(countOutcome('startup', { successThreshold: 5 }, initialCounter('startup'), true).result).toBe(true);
    expect(countOutcome('liveness', { failureThreshold: 1 }, initialCounter('liveness'), false).result).toBe(false);
  });
});
