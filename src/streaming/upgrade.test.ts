import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dechunk, forwardedUpgradeHeaders, relayUpgradeResponse, requestUpgrade, serveUpgrades, takeUpgrade } from './upgrade.js';

const servers: Array<net.Server | http.Server> = [];
const connections: net.Socket[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen<T extends net.Server | http.Server>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: net.Socket) => {
    connections.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A raw TCP peer that answers the first request with `answer` (then echoes, when it switched protocols). */
async function rawUpstream(answer: string, echo = false): Promise<number> {
  return listen(
    net.createServer((socket) => {
      socket.once('data', () => {
        socket.write(answer);
        if (echo) socket.pipe(socket);
        else socket.end();
      });
    }),
  );
}

const request = { method: 'POST', path: '/exec/x', host: 'h', headers: [['Upgrade', 'SPDY/3.1'], ['Connection', 'Upgrade']] as Array<[string, string]> };

describe('requestUpgrade', () => {
  it('hands over a switched connection with the bytes that followed the head', async () => {
    const port = await rawUpstream('HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\nfirst', true);
    const socket = net.connect(port, '127.0.0.1');
    const response = await requestUpgrade(socket, request);
    expect(response.statusCode).toBe(101);
    expect(response.headers.get('x-stream-protocol-version')).toEqual(['v4.channel.k8s.io']);
    expect(response.rest.toString()).toBe('first');
    socket.resume();
    socket.write('ping');
    expect((await new Promise<Buffer>((r) => socket.once('data', r))).toString()).toBe('ping');
    socket.destroy();
  });

  it('returns a refusal with its (de-chunked) body', async () => {
    const port = await rawUpstream('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1c\r\ncontainer not found ("main")\r\n0\r\n\r\n');
    const response = await requestUpgrade(net.connect(port, '127.0.0.1'), request);
    expect(response.statusCode).toBe(500);
    expect(response.rest.toString()).toBe('container not found ("main")');
  });

  it('fails, without hanging, on a peer that is no HTTP server, that closes, or that stays silent', async () => {
    const garbage = await rawUpstream('\x80\x03\x00\x01 not http at all\r\n\r\n');
    await expect(requestUpgrade(net.connect(garbage, '127.0.0.1'), request)).rejects.toThrow(/malformed HTTP response/);
    const huge = await listen(net.createServer((s) => s.once('data', () => s.write(Buffer.alloc(70 * 1024, 'a')))));
    await expect(requestUpgrade(net.connect(huge, '127.0.0.1'), request)).rejects.toThrow(/too large/);
    const silent = await listen(net.createServer(() => {}));
    await expect(requestUpgrade(net.connect(silent, '127.0.0.1'), request, 300)).rejects.toThrow(/no answer within 300 ms/);
    const closed = await listen(net.createServer((s) => s.destroy()));
    await expect(requestUpgrade(net.connect(closed, '127.0.0.1'), request)).rejects.toThrow(/closed before a response/);
  });

  it('de-chunks what arrived and stops at a malformed size', () => {
    expect(dechunk(Buffer.from('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n')).toString()).toBe('abcde');
    expect(dechunk(Buffer.from('zz\r\nabc')).toString()).toBe('');
  });
});

describe('serveUpgrades', () => {
  it('answers a refused upgrade as a normal response and closes; relays an accepted one both ways', async () => {
    const upstreamPort = await rawUpstream('HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n', true);
    const server = http.createServer();
    serveUpgrades(server, (req, res) => {
      if (req.url === '/refuse') {
        res.writeHead(403, { 'Content-Type': 'text/plain' });
        res.end('no');
        return;
      }
      const upstream = net.connect(upstreamPort, '127.0.0.1');
      void requestUpgrade(upstream, { ...request, headers: forwardedUpgradeHeaders(req) }).then((r) => relayUpgradeResponse(req, res, upstream, r));
    });
    const port = await listen(server);
    const ask = (path: string) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nAuthorization: Bearer secret\r\n\r\n`);
      return socket;
    };
    const refused = ask('/refuse');
    let text = '';
    refused.on('data', (d) => (text += d.toString()));
    await new Promise((r) => refused.on('close', r));
    expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*Connection: close\r\n/);
    expect(text).toContain('\r\nno\r\n');

    const accepted = ask('/accept');
    let got = '';
    accepted.on('data', (d) => (got += d.toString()));
    await new Promise<void>((resolve) => {
      const check = () => (got.includes('\r\n\r\n') ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
    accepted.write('echo me');
    await new Promise<void>((resolve) => {
      const check = () => (got.endsWith('echo me') ? resolve() : setTimeout(check, 10));
      check();
    });
    accepted.destroy();
  });

  it('takes an upgrade only once, and never after a response was started', () => {
    const req = new http.IncomingMessage(new net.Socket());
    expect(takeUpgrade(req, new http.ServerResponse(req))).toBeUndefined();
  });
});
