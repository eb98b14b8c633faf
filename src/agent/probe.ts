/**
 * One probe attempt, as the kubelet's prober runs it: httpGet (HTTP or HTTPS, certificate not
 * verified, 200–399 is success), tcpSocket (a connection opens), exec (exit code 0). A table of
 * handlers, one per action; each returns success or failure with a short message, never throws.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, Probe } from './pod.js';
import { setOwn } from '../safe-keys.js';

export interface ProbeOutcome {
  success: boolean;
  message: string;
}

export interface ProbeTarget {
  /** Where probes without an explicit host connect: the pod IP, i.e. the node address for hostNetwork pods. */
  podIP: string;
  container: Container;
  exec(command: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
}

/** A port given by number or by the name of one of the container's ports. */
export function resolvePort(port: number | string, container: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

const KUBERNETES_MINOR = '1.32';

function httpGet(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const action = probe.httpGet!;
  const port = resolvePort(action.port, target.container);
  if (port === undefined) return Promise.resolve({ success: false, message: `unknown port ${String(action.port)}` });
  const scheme = action.scheme ?? 'HTTP';
  const headers: Record<string, string> = { 'User-Agent': `kube-probe/${KUBERNETES_MINOR}`, Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) setOwn(headers, h.name, h.value);
  const options = { host: action.host || target.podIP, port, path: action.path || '/', method: 'GET', headers, timeout: timeoutMs };
  return new Promise((resolve) => {
    const onResponse = (res: http.IncomingMessage) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve({ success: code >= 200 && code < 400, message: `HTTP probe ${scheme} ${options.host}:${port}${options.path} returned ${code}` });
    };
    const req = scheme === 'HTTPS' ? https.request({ ...options, rejectUnauthorized: false }, onResponse) : http.request(options, onResponse);
    req.once('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)));
    req.once('error', (err) => resolve({ success: false, message: `Get "${scheme.toLowerCase()}://${options.host}:${port}${options.path}": ${err.message}` }));
    req.end();
  });
}

function tcpSocket(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const action = probe.tcpSocket!;
  const port = resolvePort(action.port, target.container);
  if (port === undefined) return Promise.resolve({ success: false, message: `unknown port ${String(action.port)}` });
  const host = action.host || target.podIP;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ success: true, message: `connected to ${host}:${port}` });
    });
    socket.once('timeout', () => socket.destroy(new Error(`timed out after ${timeoutMs}ms`)));
    socket.once('error', (err) => resolve({ success: false, message: `dial tcp ${host}:${port}: ${err.message}` }));
  });
}

async function exec(probe: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const result = await target.exec(probe.exec!.command, timeoutMs);
  return { success: result.exitCode === 0, message: `exec exited ${result.exitCode}: ${result.output.trim().slice(-200)}` };
}

const HANDLERS = { httpGet, tcpSocket, exec } as const;

/** Runs one attempt of `probe` within its timeoutSeconds (default 1 s). */
export async function runProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const action = (Object.keys(HANDLERS) as (keyof typeof HANDLERS)[]).find((name) => probe[name] !== undefined);
  if (!action) return { success: false, message: 'the probe has no httpGet, tcpSocket or exec action' };
  return HANDLERS[action](probe, target, timeoutMs);
}
