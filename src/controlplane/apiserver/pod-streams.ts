/**
 * `pods/exec`, `pods/attach`, `pods/portforward` (kubectl exec, attach, cp, port-forward), as
 * upstream's pod REST Connect handlers: validate the options, locate the kubelet
 * (`/exec|attach/<ns>/<pod>/<container>?command=…&input=1…`, `/portForward/<ns>/<pod>`), and
 * proxy the upgraded connection in one of three ways:
 * - a WebSocket asking for `v5.channel.k8s.io` (exec/attach, kubectl ≥ 1.31) is translated to
 *   SPDY RemoteCommand v4 towards the kubelet (StreamTranslatorProxy; streaming/remotecommand.ts);
 * - a WebSocket asking for `SPDY/3.1+portforward.k8s.io` (port-forward, kubectl ≥ 1.31) carries
 *   SPDY in binary messages: the kubelet gets a SPDY upgrade and the bytes are relayed
 *   (TunnelingHandler);
 * - anything else (SPDY from kubectl ≤ 1.30 and client libraries, older WebSocket protocols) is
 *   passed through to the kubelet unchanged (UpgradeAwareHandler).
 */
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { bridgeRemoteCommand, SPDY_REMOTECOMMAND_PROTOCOL, V5_PROTOCOL, type RemoteCommandOptions } from '../../streaming/remotecommand.js';
import { SpdyClientSession } from '../../streaming/spdy-session.js';
import { forwardedUpgradeHeaders, headerTokens, isUpgradeRequest, relayUpgradeResponse, requestUpgrade, takeUpgrade, type UpgradeResponse } from '../../streaming/upgrade.js';
import type { ObjectStore } from './objects.js';
import { chosenContainer, kubeletEndpoint, podAndNode, type KubeletClientOptions } from './podlogs.js';
import { ApiError, apiErrors } from './status.js';

export const STREAM_SUBRESOURCES = ['exec', 'attach', 'portforward'] as const;
export type StreamSubresource = (typeof STREAM_SUBRESOURCES)[number];

export type PodStreamHandler = (req: IncomingMessage, res: ServerResponse, subresource: StreamSubresource, namespace: string, name: string, query: URLSearchParams) => Promise<void>;

const TUNNEL_PREFIX = 'SPDY/3.1+';
/** WebSocket messages larger than this close the connection (1009) instead of being buffered. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024 + 64;

const boolParam = (query: URLSearchParams, name: string) => ['true', '1'].includes(query.get(name) ?? '');

export interface KubeletStreamLocation {
  path: string;
  options?: RemoteCommandOptions;
}

/** The kubelet path for a stream request, with upstream's validation errors (400). Pure. */
export function kubeletStreamLocation(subresource: StreamSubresource, pod: { metadata?: { name?: string; namespace?: string } }, query: URLSearchParams): KubeletStreamLocation {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  if (subresource === 'portforward') {
    const params = new URLSearchParams();
    for (const port of query.getAll('ports').flatMap((p) => p.split(','))) {
      const n = Number(port);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw apiErrors.badRequest(`invalid port "${port}": port must be > 0 and < 65536`);
      params.append('port', String(n));
    }
    const search = params.toString();
    return { path: `/portForward/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${search ? `?${search}` : ''}` };
  }
  const container = chosenContainer(pod, query);
  const tty = boolParam(query, 'tty');
  const options = { stdin: boolParam(query, 'stdin'), stdout: boolParam(query, 'stdout'), stderr: boolParam(query, 'stderr'), tty };
  if (!options.stdin && !options.stdout && !options.stderr) throw apiErrors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  const command = query.getAll('command');
  if (subresource === 'exec' && command.length === 0) throw apiErrors.badRequest('you must specify at least one command for the container');
  const params = new URLSearchParams();
  if (subresource === 'exec') for (const c of command) params.append('command', c);
  if (options.stdin) params.set('input', '1');
  if (options.stdout) params.set('output', '1');
  if (options.stderr) params.set('error', '1');
  if (tty) params.set('tty', '1');
  const kubeletPath = subresource === 'exec' ? 'exec' : 'attach';
  return { path: `/${kubeletPath}/${[namespace, name, container].map(encodeURIComponent).join('/')}?${params.toString()}`, options };
}

type Mode = 'translate' | 'tunnel' | 'passthrough';

/** How to carry a request: by its Upgrade header and the WebSocket subprotocols it offers. Pure. */
export function streamMode(subresource: StreamSubresource, headers: IncomingMessage['headers']): { mode: Mode; protocols: string[] } {
  const websocket = headerTokens(headers.upgrade).includes('websocket');
  const protocols = headerTokens(headers['sec-websocket-protocol']);
  if (websocket && subresource !== 'portforward' && protocols.includes(V5_PROTOCOL)) return { mode: 'translate', protocols };
  const spdyProtocols = (headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith(TUNNEL_PREFIX) && p.endsWith('portforward.k8s.io'))
    .map((p) => p.slice(TUNNEL_PREFIX.length));
  if (websocket && subresource === 'portforward' && spdyProtocols.length) return { mode: 'tunnel', protocols: spdyProtocols };
  return { mode: 'passthrough', protocols: [] };
}

export function podStreamProxy(objects: ObjectStore, kubelet: KubeletClientOptions): PodStreamHandler {
  return async (req, res, subresource, namespace, name, query) => {
    const { pod, node, nodeName } = await podAndNode(objects, namespace, name);
    const location = kubeletStreamLocation(subresource, pod, query);
    if (!isUpgradeRequest(req)) throw apiErrors.badRequest('Upgrade request required');
    const { host, port } = kubeletEndpoint(node, kubelet.preferredAddressTypes);
    const dial = (): Duplex =>
      tls.connect({ host, port, servername: isIP(host) ? undefined : host, cert: kubelet.cert, key: kubelet.key, ...(kubelet.ca ? { ca: kubelet.ca } : { rejectUnauthorized: false }) });
    const kubeletRequest = (headers: Array<[string, string]>, method = 'POST') => ({ method, path: location.path, host: `${host}:${port}`, headers });
    const dialError = (err: unknown) => new ApiError(500, 'InternalError', `error dialing backend: ${(err as Error).message} (node ${nodeName})`);
    const { mode, protocols } = streamMode(subresource, req.headers);

    if (mode === 'passthrough') {
      const upstream = dial();
      let response: UpgradeResponse;
      try {
        response = await requestUpgrade(upstream, kubeletRequest(forwardedUpgradeHeaders(req), req.method ?? 'POST'));
      } catch (err) {
        throw dialError(err);
      }
      relayUpgradeResponse(req, res, upstream, response);
      return;
    }

    const spdyHeaders = (versions: string[]): Array<[string, string]> => [['Connection', 'Upgrade'], ['Upgrade', 'SPDY/3.1'], ...versions.map((v): [string, string] => ['X-Stream-Protocol-Version', v])];
    if (mode === 'tunnel') {
      const upstream = dial();
      let response: UpgradeResponse;
      try {
        response = await requestUpgrade(upstream, kubeletRequest(spdyHeaders(protocols)));
      } catch (err) {
        throw dialError(err);
      }
      if (response.statusCode !== 101) return relayUpgradeResponse(req, res, upstream, response);
      const chosen = response.headers.get('x-stream-protocol-version')?.[0];
      const ws = await acceptWebSocket(req, res, chosen ? `${TUNNEL_PREFIX}${chosen}` : undefined);
      if (!ws) return void upstream.destroy();
      tunnel(ws, upstream, response.rest);
      return;
    }

    // translate: the WebSocket is accepted first; from then on every error is a Status on channel 3.
    const ws = await acceptWebSocket(req, res, V5_PROTOCOL);
    if (!ws) return;
    await bridgeRemoteCommand(
      ws,
      async () => {
        const upstream = dial();
        let response: UpgradeResponse;
        try {
          response = await requestUpgrade(upstream, kubeletRequest(spdyHeaders([SPDY_REMOTECOMMAND_PROTOCOL])));
        } catch (err) {
          throw dialError(err);
        }
        if (response.statusCode !== 101) throw new Error(`Internal error occurred: unable to upgrade connection: ${response.rest.toString('utf8').trim()}`);
        return new SpdyClientSession(upstream, { head: response.rest });
      },
      location.options!,
    );
  };
}

/** The subprotocol the server picks for a request's handshake (known before the handshake starts). */
const chosenProtocols = new WeakMap<IncomingMessage, string>();
const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false, handleProtocols: (_offered, request) => chosenProtocols.get(request) ?? false });

/** Completes the WebSocket handshake with `protocol` chosen; undefined when the client went away. */
function acceptWebSocket(req: IncomingMessage, res: ServerResponse, protocol: string | undefined): Promise<WebSocket | undefined> {
  const upgrade = takeUpgrade(req, res);
  if (!upgrade) return Promise.resolve(undefined);
  if (protocol) chosenProtocols.set(req, protocol);
  return new Promise((resolve) => {
    upgrade.socket.once('close', () => resolve(undefined));
    wss.handleUpgrade(req, upgrade.socket, upgrade.head, (ws) => {
      ws.on('error', () => ws.terminate());
      resolve(ws);
    });
  });
}

/** Port-forward tunneling: binary WebSocket messages carry the SPDY bytes both ways. */
function tunnel(ws: WebSocket, upstream: Duplex, first: Buffer): void {
  const close = () => {
    upstream.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000);
  };
  if (first.length) ws.send(first);
  upstream.on('data', (data: Buffer) => {
    ws.send(data, () => {
      if (ws.bufferedAmount < 1024 * 1024) upstream.resume();
    });
    if (ws.bufferedAmount > 4 * 1024 * 1024) upstream.pause();
  });
  upstream.on('close', close);
  upstream.on('error', close);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return close();
    if (!upstream.write(data)) {
      ws.pause();
      upstream.once('drain', () => ws.resume());
    }
  });
  ws.on('close', close);
  ws.on('error', close);
  upstream.resume();
}

