import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost } from '../host/index.js';
import { createLogger } from '../log.js';
import { APISERVER_LB_STATE, ApiServerLoadBalancer, dialOrder, endpointServers, parseLoadBalancerState } from './apiserver-lb.js';

describe('dialOrder', () => {
  const servers = ['a:1', 'b:1', 'c:1'];
  it('dials the preferred (own) API server first while it is healthy', () => {
    expect(dialOrder(servers, () => true, 'b:1', 0)).toEqual(['b:1', 'a:1', 'c:1']);
  });

  it('round-robins over the healthy others and tries servers marked down last', () => {
    const healthy = (s: string) => s !== 'a:1';
    expect(dialOrder(servers, healthy, undefined, 0)).toEqual(['b:1', 'c:1', 'a:1']);
    expect(dialOrder(servers, healthy, undefined, 2)).toEqual(['c:1', 'b:1', 'a:1']);
  });

  it('skips a preferred server that is down', () => {
    expect(dialOrder(servers, (s) => s !== 'b:1', 'b:1', 0)).toEqual(['a:1', 'c:1', 'b:1']);
  });
});

it('reads every API server of the kubernetes Endpoints as host:port', () => {
  const endpoints = { metadata: {}, subsets: [{ addresses: [{ ip: '127.0.0.3' }, { ip: '127.0.0.2' }, { ip: 'fd00::1' }], ports: [{ name: 'https', port: 6443 }] }] };
  expect(endpointServers(endpoints)).toEqual(['127.0.0.2:6443', '127.0.0.3:6443', '[fd00::1]:6443']);
});

it('refuses a state file that does not name where to listen and the servers', () => {
  expect(() => parseLoadBalancerState('{"listen":"127.0.0.2","servers":[]}')).toThrow(/must hold/);
  expect(parseLoadBalancerState('{"listen":"127.0.0.2:6444","servers":["127.0.0.3:6443"]}')).toEqual({ listen: '127.0.0.2:6444', servers: ['127.0.0.3:6443'] });
});

describe('the node-local API load balancer (real sockets on 127.0.0.146-148)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A backend that answers every connection with its name, and keeps the connection open. */
  async function backend(ip: string, name: string, port = 0): Promise<{ address: string; kill: () => void }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => (sockets.add(s), s.on('error', () => {}), s.write(name)));
    await new Promise<void>((r) => server.listen(port, ip, () => r()));
    const kill = () => {
      server.close();
      for (const s of sockets) s.destroy();
    };
    cleanups.push(async () => kill());
    return { address: `${ip}:${(server.address() as net.AddressInfo).port}`, kill };
  }

  function ask(address: string): Promise<{ answer: string; socket: net.Socket }> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port: Number(port) });
      socket.once('data', (d) => resolve({ answer: d.toString(), socket }));
      socket.once('error', reject);
    });
  }

  it('prefers its own API server, fails over when it dies (closing what it carried), and comes back to it', async () => {
    const own = await backend('127.0.0.147', 'own');
    const other = await backend('127.0.0.148', 'other');
    const root = await mkdtemp(path.join(tmpdir(), 'kf-lb-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const host = createHost(root);
    const listen = '127.0.0.146:16444';
    await host.files.writeFile(APISERVER_LB_STATE, JSON.stringify({ listen, servers: [other.address], preferred: own.address }));
    const lb = new ApiServerLoadBalancer({ host, log: createLogger({ write: () => {} }), probeIntervalMs: 100, probeTimeoutMs: 200 });
    await lb.init();
    await lb.start();
    cleanups.push(() => lb.stop());

    const first = await ask(listen);
    expect(first.answer).toBe('own');
    const closed = new Promise<void>((r) => first.socket.once('close', () => r()));
    own.kill();
    await closed; // the connection to the dead server is closed, so its client redials
    const second = await ask(listen);
    expect(second.answer).toBe('other');
    second.socket.destroy();

    await backend('127.0.0.147', 'own again', Number(own.address.split(':')[1]));
    for (;;) {
      const next = await ask(listen);
      next.socket.destroy();
      if (next.answer === 'own again') break;
      await new Promise((r) => setTimeout(r, 100)); // until a probe has seen it back
    }
  });
});
