import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MINIMUM_GRACE_MS, runPreStopHook } from './lifecycle-hooks.js';
import type { Container } from './pod.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function target(container: Container, exec: (command: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }> = async () => ({ exitCode: 0, output: '' })) {
  return { podIP: '127.0.0.1', container, exec };
}

describe('runPreStopHook', () => {
  it('runs an exec hook in the container and leaves SIGTERM the rest of the grace period', async () => {
    const ran: string[][] = [];
    let clock = 0;
    const container: Container = { name: 'app', image: 'busybox', lifecycle: { preStop: { exec: { command: ['sh', '-c', 'nginx -s quit'] } } } };
    const result = await runPreStopHook(container, target(container, async (command) => (ran.push(command), (clock += 4000), { exitCode: 0, output: '' })), 30_000, () => clock);
    expect(ran).toEqual([['sh', '-c', 'nginx -s quit']]);
    expect(result).toEqual({ gracePeriodMs: 26_000 });
  });

  it('sends an httpGet hook to the pod IP and the named port', async () => {
    const paths: string[] = [];
    const server = http.createServer((req, res) => (paths.push(req.url ?? ''), res.end('bye')));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const container: Container = { name: 'app', image: 'web', ports: [{ name: 'http', containerPort: port }], lifecycle: { preStop: { httpGet: { path: '/drain', port: 'http' } } } };
    const result = await runPreStopHook(container, target(container), 30_000);
    expect(paths).toEqual(['/drain']);
    expect(result.failure).toBeUndefined();
    expect(result.gracePeriodMs).toBeGreaterThan(25_000);
  });

  it('reports a failing hook as FailedPreStopHook says it, and the container still stops', async () => {
    const container: Container = { name: 'app', image: 'busybox', lifecycle: { preStop: { exec: { command: ['false'] } } } };
    const result = await runPreStopHook(container, target(container, async () => ({ exitCode: 1, output: 'no such server' })), 30_000);
    expect(result.failure).toBe('PreStopHook failed: exec exited 1: no such server');
    expect(result.gracePeriodMs).toBeGreaterThan(25_000);
  });

  it('gives a hook no more than the grace period, then SIGTERM still gets 2 s', async () => {
    const container: Container = { name: 'app', image: 'busybox', lifecycle: { preStop: { exec: { command: ['sleep', '3600'] } } } };
    const started = Date.now();
    const result = await runPreStopHook(container, target(container, () => new Promise(() => {})), 300);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toEqual({ gracePeriodMs: MINIMUM_GRACE_MS, failure: 'PreStopHook failed: the hook did not finish within the grace period of 0.3s' });
  });

  it('sleeps for a sleep hook, within the grace period', async () => {
    const container: Container = { name: 'app', image: 'busybox', lifecycle: { preStop: { sleep: { seconds: 3600 } } } };
    const started = Date.now();
    const result = await runPreStopHook(container, target(container), 200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(result).toEqual({ gracePeriodMs: MINIMUM_GRACE_MS });
  });

  it('does nothing for a container without a preStop hook, or when there is no grace period', async () => {
    let execs = 0;
    const plain: Container = { name: 'app', image: 'busybox' };
    const hooked: Container = { ...plain, lifecycle: { preStop: { exec: { command: ['true'] } } } };
    expect(await runPreStopHook(plain, target(plain, async () => (execs++, { exitCode: 0, output: '' })), 30_000)).toEqual({ gracePeriodMs: 30_000 });
    expect(await runPreStopHook(hooked, target(hooked, async () => (execs++, { exitCode: 0, output: '' })), 0)).toEqual({ gracePeriodMs: 0 });
    expect(execs).toBe(0);
  });
});
