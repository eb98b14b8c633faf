/**
 * HTTP/1.1 connection upgrades (SPDY/3.1, WebSocket) on both sides of a proxy, as upstream's
 * UpgradeAwareHandler does them: the server side runs an upgrade request through the normal
 * request handler (authentication, authorization, errors as ordinary responses), and a handler
 * that accepts it takes the raw socket; the client side sends an upgrade request on a socket and
 * reads the response head, so the caller can relay a 101 and pipe bytes, or report the refusal.
 */
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

const upgrades = new WeakMap<IncomingMessage, Upgrade>();

/**
 * Serves upgrade requests with `handler`, like any request. A response it writes (an error, a
 * refusal) goes out with `Connection: close` and ends the connection; a handler that accepts the
 * upgrade calls takeUpgrade() and owns the socket from then on.
 */
export function serveUpgrades(server: Server, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as never);
    res.on('finish', () => {
      if (upgrades.has(req)) socket.end();
    });
    upgrades.set(req, { socket, head });
    handler(req, res);
  });
}

export function isUpgradeRequest(req: IncomingMessage): boolean {
  return upgrades.has(req);
}

/** The upgraded connection of the request, detached from its response; undefined when not an upgrade or already taken. */
export function takeUpgrade(req: IncomingMessage, res: ServerResponse): Upgrade | undefined {
  const upgrade = upgrades.get(req);
  if (!upgrade || res.headersSent) return undefined;
  upgrades.delete(req);
  res.detachSocket(upgrade.socket as never);
  return upgrade;
}

export interface UpgradeRequest {
  method: string;
  path: string;
  host: string;
  headers: Array<[string, string]>;
}

export interface UpgradeResponse {
  statusCode: number;
  /** The raw status line and headers, through the blank line (to relay a 101 verbatim). */
  head: Buffer;
  headers: Map<string, string[]>;
  /** Bytes read after the head: the first of the upgraded protocol on a 101, the body otherwise. */
  rest: Buffer;
}

/** A response head is at most this long; a peer sending more is not an HTTP server. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Of a refusal's body we keep this much (it becomes an error message). */
const MAX_ERROR_BODY = 64 * 1024;

/** Lower-cased header names of the tokens (`Connection: Upgrade` → upgrade). */
export function headerTokens(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);
}

function parseHead(head: Buffer): { statusCode: number; headers: Map<string, string[]> } {
  const lines = head.toString('latin1').split(/\r?\n/);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) throw new Error(`malformed HTTP response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { statusCode: Number(status[1]), headers };
}

/**
 * Sends an upgrade request on a connected (or connecting) socket and reads the answer. On a 101
 * the socket is left open and paused for the caller; otherwise the body (up to a limit) is read
 * and the socket closed. Rejects when the peer closes, sends no HTTP, or is silent for `timeoutMs`.
 */
export function requestUpgrade(socket: Duplex, request: UpgradeRequest, timeoutMs = 30_000): Promise<UpgradeResponse> {
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: ${request.host}`, ...request.headers.map(([n, v]) => `${n}: ${v}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return new Promise<UpgradeResponse>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    let parsed: { statusCode: number; headers: Map<string, string[]>; head: Buffer } | undefined;
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', fail);
      socket.off('close', onEnd);
    };
    function fail(err: Error) {
      cleanup();
      socket.destroy();
      reject(err);
    }
    const finishRefusal = () => {
      cleanup();
      socket.destroy();
      const chunked = headerTokens(parsed!.headers.get('transfer-encoding')).includes('chunked');
      resolve({ ...parsed!, rest: (chunked ? dechunk(buffered) : buffered).subarray(0, MAX_ERROR_BODY) });
    };
    function onEnd() {
      if (parsed) finishRefusal();
      else fail(new Error('the connection closed before a response'));
    }
    function onData(chunk: Buffer) {
      buffered = Buffer.concat([buffered, chunk]);
      if (!parsed) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffered.length > MAX_HEAD_BYTES) fail(new Error('the response head is too large'));
          return;
        }
        const head = buffered.subarray(0, end + 4);
        buffered = buffered.subarray(end + 4);
        try {
          parsed = { ...parseHead(head), head };
        } catch (err) {
          fail(err as Error);
          return;
        }
        if (parsed.statusCode === 101) {
          cleanup();
          socket.pause();
          resolve({ ...parsed, rest: buffered });
          return;
        }
      }
      const length = Number(parsed.headers.get('content-length')?.[0] ?? NaN);
      if (buffered.length >= MAX_ERROR_BODY || (Number.isFinite(length) && buffered.length >= length)) finishRefusal();
    }
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', fail);
  });
}

/** The body of a chunked response (as much as arrived; a malformed size ends it). */
export function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Pipes two upgraded connections both ways (with the bytes each side already sent); either end closing closes both. */
export function pipeUpgraded(a: Duplex, aHead: Buffer, b: Duplex, bRest: Buffer): void {
  if (aHead.length) b.write(aHead);
  if (bRest.length) a.write(bRest);
  const closeBoth = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('error', closeBoth);
    s.on('close', closeBoth);
  }
  a.pipe(b);
  b.pipe(a);
  b.resume();
}

/** The request headers an upgrade proxy passes on: the upgrade negotiation itself, never credentials. */
const FORWARDED_HEADERS = ['connection', 'upgrade', 'x-stream-protocol-version', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'user-agent'];

export function forwardedUpgradeHeaders(req: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const name of FORWARDED_HEADERS) {
    for (const value of req.headersDistinct[name] ?? []) out.push([name, value]);
  }
  return out;
}

/**
 * Relays the client's upgrade request to an upstream (an answered `requestUpgrade`): a 101 goes
 * back verbatim and the two connections are piped; a refusal is answered with its status and body.
 */
export function relayUpgradeResponse(req: IncomingMessage, res: ServerResponse, upstream: Duplex, response: UpgradeResponse): void {
  if (response.statusCode !== 101) {
    res.writeHead(response.statusCode, { 'Content-Type': response.headers.get('content-type')?.[0] ?? 'text/plain; charset=utf-8' });
    res.end(response.rest);
    return;
  }
  const client = takeUpgrade(req, res);
  if (!client) {
    upstream.destroy();
    return;
  }
  client.socket.write(response.head);
  pipeUpgraded(client.socket, client.head, upstream, response.rest);
}
