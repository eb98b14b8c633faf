/**
 * The API server's stream translation (upstream's StreamTranslatorProxy): a WebSocket client
 * speaking RemoteCommand v5 (`v5.channel.k8s.io`, kubectl ≥ 1.31) on one side, the kubelet's
 * SPDY RemoteCommand v4 (`v4.channel.k8s.io`) on the other.
 *
 * v5 WebSocket messages are binary, the first byte the channel: 0 stdin, 1 stdout, 2 stderr,
 * 3 error (a metav1.Status, JSON), 4 resize (TerminalSize JSON), 255 close (second byte: the
 * channel the client has finished writing, so stdin reaches EOF). On the SPDY side each channel
 * is a stream opened with the header `streamtype: error|stdin|stdout|stderr|resize`; the kubelet
 * writes the command's status (success, or NonZeroExitCode with the exit code) to the error stream.
 */
import type WebSocket from 'ws';
import type { SpdyClientSession, SpdyStream } from './spdy-session.js';

export const V5_PROTOCOL = 'v5.channel.k8s.io';
export const SPDY_REMOTECOMMAND_PROTOCOL = 'v4.channel.k8s.io';

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Past this much output queued towards a slow client, the kubelet side is paused. */
const HIGH_WATER = 4 * 1024 * 1024;

export function statusJson(status: 'Success' | 'Failure', message?: string, reason?: string, code?: number): string {
  return JSON.stringify({ metadata: {}, status, ...(message !== undefined ? { message } : {}), ...(reason ? { reason } : {}), ...(code ? { code } : {}) });
}

export function frame(channel: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([channel]), typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
}

/** Ends the session as upstream's translator does: the status on the error channel, then a normal close. */
export function finish(ws: WebSocket, status: string): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(frame(Channel.error, status));
  ws.close(1000);
}

/** The SPDY streams a v4 remote command opens, in client-go's order (error first). */
export function spdyStreamTypes(options: RemoteCommandOptions): string[] {
  return ['error', ...(options.stdin ? ['stdin'] : []), ...(options.stdout ? ['stdout'] : []), ...(options.stderr && !options.tty ? ['stderr'] : []), ...(options.tty ? ['resize'] : [])];
}

/**
 * Bridges an accepted v5 WebSocket and a SPDY session to the kubelet (opened by `connect`, whose
 * error message becomes the failure status) until the command ends (status forwarded) or either
 * side goes away. Resolves when done; never throws.
 */
export async function bridgeRemoteCommand(ws: WebSocket, connect: () => Promise<SpdyClientSession>, options: RemoteCommandOptions): Promise<void> {
  // Input that arrives before the kubelet accepted the streams (kubectl sends at once) waits here, in order.
  const early: Buffer[] = [];
  const onEarly = (data: Buffer) => early.push(Buffer.from(data));
  ws.on('message', onEarly);
  // A client's protocol error (an oversized or malformed frame) ends its session, never the server: ws closes after 'error'.
  ws.on('error', () => ws.terminate());
  let wsClosed = false;
  const wsClosing = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  void wsClosing.then(() => (wsClosed = true));
  ws.send(frame(options.stdout ? Channel.stdout : options.stderr ? Channel.stderr : Channel.error));
  let session: SpdyClientSession;
  try {
    session = await connect();
  } catch (err) {
    finish(ws, statusJson('Failure', (err as Error).message, 'InternalError', 500));
    return wsClosing;
  }
  if (wsClosed) return void session.close();
  let done = false;
  const closed = new Promise<void>((resolve) => {
    void wsClosing.then(() => {
      done = true;
      session.close();
      resolve();
    });
    session.on('close', () => resolve());
  });

  const streams = new Map<string, SpdyStream>();
  try {
    for (const type of spdyStreamTypes(options)) streams.set(type, await session.openStream({ streamtype: type }));
  } catch (err) {
    finish(ws, statusJson('Failure', `Internal error occurred: ${(err as Error).message}`, 'InternalError', 500));
    session.close();
    await closed;
    return;
  }
  if (done) return;

  const deliver = (channel: number) => (data: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(frame(channel, data), () => {
      if (ws.bufferedAmount < HIGH_WATER / 2) session.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) session.pause();
  };
  streams.get('stdout')?.on('data', deliver(Channel.stdout));
  streams.get('stderr')?.on('data', deliver(Channel.stderr));
  const errorStream = streams.get('error')!;
  const status: Buffer[] = [];
  errorStream.on('data', (d: Buffer) => status.push(d));
  const ended = new Promise<void>((resolve) => {
    errorStream.on('end', resolve);
    session.on('close', () => resolve());
  });

  const input = (data: Buffer) => {
    if (data.length === 0) return;
    const channel = data[0]!;
    const body = data.subarray(1);
    if (channel === Channel.stdin) streams.get('stdin')?.write(body);
    else if (channel === Channel.resize) streams.get('resize')?.write(body);
    else if (channel === Channel.close && body[0] === Channel.stdin) streams.get('stdin')?.end();
  };
  ws.off('message', onEarly);
  ws.on('message', (data: Buffer) => input(Buffer.from(data)));
  for (const data of early) input(data);

  await Promise.race([ended, closed]);
  if (!done) {
    const text = Buffer.concat(status).toString('utf8');
    finish(ws, text || statusJson('Failure', 'Internal error occurred: the kubelet closed the stream without a status', 'InternalError', 500));
    session.close();
  }
  await closed;
}
