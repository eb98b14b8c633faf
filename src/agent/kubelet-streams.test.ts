import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveUpgrades } from '../streaming/upgrade.js';
import { parseStreamTarget, serveStream, type PodStreams, type StreamTarget } from './kubelet-streams.js';
import type { StaticPodView } from './static-pods.js';

describe('parseStreamTarget', () => {
  it('reads exec as the kubelet does: command, input/output/error/tty = 1, the uid form of the path', () => {
    const q = new URLSearchParams('command=sh&command=-c&command=true&input=1&output=1&error=1');
    expect(parseStreamTarget('exec', ['default', 'web', 'main'], q)).toEqual({
      kind: 'exec', namespace: 'default', pod: 'web', container: 'main', cmd: ['sh', '-c', 'true'], request: { stdin: true, stdout: true, stderr: true, tty: false },
    });
    expect(parseStreamTarget('exec', ['default', 'web', 'uid-1', 'main'], q)).toMatchObject({ container: 'main' });
  });

  it('merges stderr into the terminal with tty, and requires a stream and (for exec) a command', () => {
    expect(parseStreamTarget('attach', ['ns', 'p', 'c'], new URLSearchParams('output=1&error=1&tty=1'))).toMatchObject({ request: { stdout: true, stderr: false, tty: true } });
    expect(parseStreamTarget('exec', ['ns', 'p', 'c'], new URLSearchParams('command=true'))).toEqual({ error: 'you must specify at least 1 of stdin, stdout, stderr' });
    expect(parseStreamTarget('exec', ['ns', 'p', 'c'], new URLSearchParams('output=1'))).toEqual({ error: 'you must specify at least one command for the container' });
    expect(parseStreamTarget('exec', ['ns', 'p'], new URLSearchParams('output=1'))).toEqual({ error: 'not found' });
  });

  it('reads port-forward ports and rejects bad ones', () => {
    expect(parseStreamTarget('portForward', ['ns', 'p'], new URLSearchParams('port=80&port=8080'))).toEqual({ kind: 'portForward', namespace: 'ns', pod: 'p', ports: [80, 8080] });
    expect(parseStreamTarget('portForward', ['ns', 'p'], new URLSearchParams('port=0'))).toHaveProperty('error');
  });
});

describe('serveStream', () => {
  const closers: Array<() => void> = [];
  afterEach(() => {
    while (closers.length) closers.pop()!();
  });

  const view = { pod: { pod: { metadata: { name: 'web', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'main' }] } }, source: 'api', specHash: '' }, status: {} } as unknown as StaticPodView;
  const target: StreamTarget = { kind: 'exec', namespace: 'default', pod: 'web', container: 'main', cmd: ['true'], request: { stdin: false, stdout: true, stderr: false, tty: false } };

  /** The agent's endpoint over `streams`, and the runtime's streaming server (101, then echo). */
  async function agent(streams: PodStreams | undefined, pods: StaticPodView[] = [view]): Promise<number> {
    const runtime = net.createServer((s) => s.once('data', (req) => {
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\nX-Seen-Path: ${req.toString().split(' ')[1]}\r\n\r\n`);
      s.pipe(s);
    }));
    await new Promise<void>((r) => runtime.listen(0, '127.0.0.1', r));
    const runtimePort = (runtime.address() as AddressInfo).port;
    const server = http.createServer();
    serveUpgrades(server, (req, res) => void serveStream(req, res, target, pods, () => streams && { ...streams, execUrl: async (...args) => (await streams.execUrl(...args)).replace('PORT', String(runtimePort)) }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => {
      server.closeAllConnections();
      server.close();
      runtime.close();
    });
    return (server.address() as AddressInfo).port;
  }

  async function upgrade(port: number): Promise<string> {
    const socket = net.connect(port, '127.0.0.1');
    socket.write('POST /exec/default/web/main?command=true&output=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
    let got = '';
    socket.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n\r\n') && !got.includes('hello') && got.startsWith('HTTP/1.1 101')) socket.write('hello');
    });
    await new Promise<void>((resolve) => {
      socket.on('close', () => resolve());
      const check = () => (got.endsWith('hello') ? (socket.destroy(), resolve()) : setTimeout(check, 10));
      check();
    });
    return got;
  }

  const streams = (url: string | Error): PodStreams => ({
    execUrl: async () => {
      if (url instanceof Error) throw url;
      return url;
    },
    attachUrl: async () => url as string,
    portForwardUrl: async () => url as string,
  });

  it("proxies the upgrade to the runtime's streaming URL and relays both ways", async () => {
    const got = await upgrade(await agent(streams('http://127.0.0.1:PORT/exec/abc123')));
    expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
    expect(got).toContain('X-Seen-Path: /exec/abc123');
    expect(got.endsWith('hello')).toBe(true);
  });

  it('answers 500 with the runtime error (naming the container), 404 for an unknown pod, 400 for a process pod', async () => {
    expect(await upgrade(await agent(streams(new Error('container not found ("main")'))))).toMatch(/^HTTP\/1\.1 500[\s\S]*container not found \("main"\)/);
    expect(await upgrade(await agent(streams('x'), []))).toMatch(/^HTTP\/1\.1 404[\s\S]*pod does not exist/);
    expect(await upgrade(await agent(undefined))).toMatch(/^HTTP\/1\.1 400[\s\S]*needs a container runtime/);
  });
});
