/**
 * The kubelet API's streaming endpoints, as upstream's pkg/kubelet/server: `/exec`, `/attach`
 * (`/<ns>/<pod>[/<uid>]/<container>`) and `/portForward` (`/<ns>/<pod>[/<uid>]`). The agent asks the
 * runtime for a streaming URL (CRI Exec/Attach/PortForward) and proxies the client's upgrade
 * request (SPDY or WebSocket, whatever the runtime's streaming server speaks) to it unchanged.
 */
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardedUpgradeHeaders, isUpgradeRequest, relayUpgradeResponse, requestUpgrade } from '../streaming/upgrade.js';
import type { StaticPod } from './pod.js';
import type { StaticPodView } from './static-pods.js';

export interface StreamRequest {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** What a runner that can stream offers (the CRI runner). */
export interface PodStreams {
  execUrl(pod: StaticPod, container: string, request: StreamRequest & { cmd: string[] }): Promise<string>;
  attachUrl(pod: StaticPod, container: string, request: StreamRequest): Promise<string>;
  portForwardUrl(pod: StaticPod, ports: number[]): Promise<string>;
}

export type StreamKind = 'exec' | 'attach' | 'portForward';
export const STREAM_KINDS: readonly string[] = ['exec', 'attach', 'portForward'];

export type StreamTarget =
  | { kind: 'exec' | 'attach'; namespace: string; pod: string; container: string; request: StreamRequest; cmd: string[] }
  | { kind: 'portForward'; namespace: string; pod: string; ports: number[] };

/**
 * The target of a streaming path and query, or the error upstream answers (400). Pure.
 * Streams come from `input`/`output`/`error`/`tty` = 1; a TTY merges stderr into stdout.
 */
export function parseStreamTarget(kind: StreamKind, rest: string[], query: URLSearchParams): StreamTarget | { error: string } {
  if (kind === 'portForward') {
    if (rest.length !== 2 && rest.length !== 3) return { error: 'not found' };
    const ports = query.getAll('port').map(Number);
    if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) return { error: `invalid port in ${JSON.stringify(query.getAll('port'))}` };
    return { kind, namespace: rest[0]!, pod: rest[1]!, ports };
  }
  if (rest.length !== 3 && rest.length !== 4) return { error: 'not found' };
  const flag = (name: string) => query.get(name) === '1';
  const tty = flag('tty');
  const request = { tty, stdin: flag('input'), stdout: flag('output'), stderr: flag('error') && !tty };
  if (!request.stdin && !request.stdout && !flag('error')) return { error: 'you must specify at least 1 of stdin, stdout, stderr' };
  const cmd = query.getAll('command');
  if (kind === 'exec' && cmd.length === 0) return { error: 'you must specify at least one command for the container' };
  return { kind, namespace: rest[0]!, pod: rest[1]!, container: rest[rest.length - 1]!, request, cmd };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** Serves one streaming request: finds the pod, asks the runtime for the URL, proxies the upgrade to it. */
export async function serveStream(
  req: IncomingMessage,
  res: ServerResponse,
  target: StreamTarget,
  pods: StaticPodView[],
  streamsFor: (pod: StaticPod) => PodStreams | undefined,
): Promise<void> {
  const view = pods.find((v) => v.pod.pod.metadata.namespace === target.namespace && v.pod.pod.metadata.name === target.pod);
  if (!view) return sendText(res, 404, 'pod does not exist');
  const streams = streamsFor(view.pod);
  if (!streams) return sendText(res, 400, `pod "${target.pod}" runs as a process on this node: ${target.kind} needs a container runtime`);
  if (!isUpgradeRequest(req)) return sendText(res, 400, 'Upgrade request required');
  let url: string;
  try {
    url =
      target.kind === 'portForward'
        ? await streams.portForwardUrl(view.pod, target.ports)
        : target.kind === 'exec'
          ? await streams.execUrl(view.pod, target.container, { ...target.request, cmd: target.cmd })
          : await streams.attachUrl(view.pod, target.container, target.request);
  } catch (err) {
    return sendText(res, 500, (err as Error).message);
  }
  const location = new URL(url);
  const upstream = net.connect(Number(location.port || 80), location.hostname);
  let response;
  try {
    response = await requestUpgrade(upstream, { method: req.method ?? 'POST', path: `${location.pathname}${location.search}`, host: location.host, headers: forwardedUpgradeHeaders(req) });
  } catch (err) {
    return sendText(res, 502, `error dialing the runtime's streaming server ${location.host}: ${(err as Error).message}`);
  }
  relayUpgradeResponse(req, res, upstream, response);
}
