import { createServer, type AddressInfo, type Socket } from 'node:net';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { spdyServer, type ServerStream } from '../../test/helpers/spdy-server.js';
import { bridgeRemoteCommand, spdyStreamTypes, V5_PROTOCOL } from './remotecommand.js';
import { SpdyClientSession } from './spdy-session.js';

const closers: Array<() => void> = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

/** A TCP pair: the client end for SpdyClientSession, the server end for the fake kubelet. */
async function socketPair(): Promise<{ client: Socket; server: Socket }> {
  const net = await import('node:net');
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = net.connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const server = await accepted;
  listener.close();
  closers.push(() => {
    client.destroy();
    server.destroy();
  });
  return { client, server };
}

/** A v5 WebSocket pair: `serverSide` is what the API server bridges, `client` is kubectl. */
async function webSocketPair(maxPayload?: number): Promise<{ client: WebSocket; serverSide: WebSocket; received: Buffer[] }> {
  const httpServer = http.createServer();
  const wss = new WebSocketServer({ server: httpServer, handleProtocols: () => V5_PROTOCOL, ...(maxPayload ? { maxPayload } : {}) });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/`, [V5_PROTOCOL]);
  const received: Buffer[] = [];
  client.on('message', (d: Buffer) => received.push(Buffer.from(d)));
  await new Promise((r) => client.once('open', r));
  closers.push(() => {
    client.terminate();
    wss.close();
    httpServer.close();
  });
  return { client, serverSide: await serverSide, received };
}

const channel = (frames: Buffer[], n: number) => Buffer.concat(frames.filter((f) => f[0] === n).map((f) => f.subarray(1))).toString();

describe('RemoteCommand v5 (WebSocket) ↔ v4 (SPDY) translation', () => {
  it('opens the v4 streams client-go opens, in its order', () => {
    expect(spdyStreamTypes({ stdin: true, stdout: true, stderr: true, tty: false })).toEqual(['error', 'stdin', 'stdout', 'stderr']);
    expect(spdyStreamTypes({ stdin: true, stdout: true, stderr: true, tty: true })).toEqual(['error', 'stdin', 'stdout', 'resize']);
  });

  it('carries stdin (to EOF on channel 255), stdout, stderr and the status', async () => {
    const { client: spdySocket, server } = await socketPair();
    const { client, serverSide, received } = await webSocketPair();
    const byType = new Map<string, ServerStream>();
    const kubelet = spdyServer(server, (s) => byType.set(s.headers.streamtype!, s));
    const bridged = bridgeRemoteCommand(serverSide, async () => new SpdyClientSession(spdySocket), { stdin: true, stdout: true, stderr: true, tty: false });
    // Sent before the kubelet accepted the streams: queued, not lost.
    client.send(Buffer.concat([Buffer.from([0]), Buffer.from('early ')]));
    await vitestWait(() => byType.size === 4);
    client.send(Buffer.concat([Buffer.from([0]), Buffer.from('input')]));
    client.send(Buffer.from([255, 0]));
    const stdin = byType.get('stdin')!;
    await vitestWait(() => stdin.finished);
    expect(Buffer.concat(stdin.data).toString()).toBe('early input');
    byType.get('stdout')!.write('out');
    byType.get('stderr')!.write('err');
    byType.get('error')!.write('{"metadata":{},"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}');
    byType.get('error')!.end();
    const closed = new Promise((r) => client.once('close', (code) => r(code)));
    expect(await closed).toBe(1000);
    await bridged;
    expect(received[0]).toEqual(Buffer.from([1]));
    expect(channel(received, 1)).toBe('out');
    expect(channel(received, 2)).toBe('err');
    expect(JSON.parse(channel(received, 3))).toMatchObject({ reason: 'NonZeroExitCode' });
    expect(kubelet.streams.map((s) => s.headers.streamtype)).toEqual(['error', 'stdin', 'stdout', 'stderr']);
  });

  it('reports an internal error when the kubelet sends garbage instead of frames, and ends', async () => {
    const { client: spdySocket, server } = await socketPair();
    const { client, serverSide, received } = await webSocketPair();
    const bridged = bridgeRemoteCommand(serverSide, async () => new SpdyClientSession(spdySocket), { stdin: false, stdout: true, stderr: false, tty: false });
    server.write(Buffer.from('\x80\x07garbage that is no SPDY frame at all'));
    await new Promise((r) => client.once('close', r));
    await bridged;
    expect(JSON.parse(channel(received, 3))).toMatchObject({ status: 'Failure', reason: 'InternalError' });
  });

  it('turns a kubelet that cannot be reached into a failure status, not a hang', async () => {
    const { client, serverSide, received } = await webSocketPair();
    const bridged = bridgeRemoteCommand(serverSide, async () => {
      throw new Error('error dialing backend: connect ECONNREFUSED 127.0.0.9:10250');
    }, { stdin: true, stdout: true, stderr: true, tty: false });
    await new Promise((r) => client.once('close', r));
    await bridged;
    expect(JSON.parse(channel(received, 3))).toMatchObject({ status: 'Failure', reason: 'InternalError', message: 'error dialing backend: connect ECONNREFUSED 127.0.0.9:10250' });
  });

  it('ends the session of a client that sends an oversized message (1009), closing the kubelet side', async () => {
    const { client: spdySocket, server } = await socketPair();
    const { client, serverSide } = await webSocketPair(1024);
    spdyServer(server, () => {});
    const bridged = bridgeRemoteCommand(serverSide, async () => new SpdyClientSession(spdySocket), { stdin: true, stdout: true, stderr: false, tty: false });
    const code = new Promise((r) => client.once('close', (c) => r(c)));
    client.send(Buffer.concat([Buffer.from([0]), Buffer.alloc(4096)]));
    expect(await code).toBe(1009);
    await bridged;
    expect(spdySocket.destroyed).toBe(true);
  });

  it('closes the kubelet side when the client goes away mid-command', async () => {
    const { client: spdySocket, server } = await socketPair();
    const { client, serverSide } = await webSocketPair();
    const byType = new Map<string, ServerStream>();
    spdyServer(server, (s) => byType.set(s.headers.streamtype!, s));
    const bridged = bridgeRemoteCommand(serverSide, async () => new SpdyClientSession(spdySocket), { stdin: true, stdout: true, stderr: false, tty: false });
    await vitestWait(() => byType.size === 3);
    const serverClosed = new Promise((r) => server.once('close', r));
    client.terminate();
    await bridged;
    await serverClosed;
  });
});

async function vitestWait(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}
