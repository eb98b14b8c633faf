/**
 * `GET pods/<name>/log` (kubectl logs), as upstream's pod log REST: pick the container (the only
 * one, or `?container=`), find the pod's node and the address and port its kubelet publishes
 * (status.addresses by --kubelet-preferred-address-types, status.daemonEndpoints.kubeletEndpoint),
 * and stream `https://<node>:<port>/containerLogs/<ns>/<pod>/<container>?...` back, authenticated
 * with --kubelet-client-certificate/--kubelet-client-key. The kubelet's serving certificate is
 * verified against --kubelet-certificate-authority when given, not verified otherwise (upstream's
 * default too).
 */
import https from 'node:https';
import type { ServerResponse } from 'node:http';
import type { ObjectStore } from './objects.js';
import { findResource, type ResourceType } from './resources.js';
import { apiErrors } from './status.js';
import type { KubeObject } from './storage.js';

/** Upstream's default --kubelet-preferred-address-types. */
export const DEFAULT_KUBELET_ADDRESS_TYPES = ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'];
/** Query parameters of PodLogOptions passed on to the kubelet. */
const PASSED_PARAMS = ['follow', 'previous', 'sinceSeconds', 'sinceTime', 'timestamps', 'tailLines', 'limitBytes'];

export interface KubeletClientOptions {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
  preferredAddressTypes: string[];
}

interface PodShape {
  spec?: { nodeName?: string; containers?: { name: string }[] };
}
interface NodeShape {
  status?: { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
}

/** Where the kubelet serves this pod's container log. Pure; throws the API errors upstream returns. */
/** The container a request names (`?container=`), or the pod's only one; upstream's errors otherwise. */
export function chosenContainer(pod: KubeObject, query: URLSearchParams): string {
  const name = pod.metadata?.name ?? '';
  const containers = ((pod as PodShape).spec?.containers ?? []).map((c) => c.name);
  const container = query.get('container') ?? '';
  if (!container) {
    if (containers.length !== 1) throw apiErrors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    return containers[0]!;
  }
  if (!containers.includes(container)) throw apiErrors.badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

/** The node's kubelet endpoint: its first address of the preferred types and its published port. */
export function kubeletEndpoint(node: KubeObject, preferredAddressTypes: string[]): { host: string; port: number } {
  const status = (node as NodeShape).status;
  const addresses = status?.addresses ?? [];
  const address = preferredAddressTypes.map((t) => addresses.find((a) => a.type === t)?.address).find((a) => a);
  if (!address) throw apiErrors.badRequest(`node ${String(node.metadata?.name)} has no address of the types ${preferredAddressTypes.join(',')}`);
  return { host: address, port: status?.daemonEndpoints?.kubeletEndpoint?.Port || 10250 };
}

/** The pod's node, or upstream's error for a pod not yet scheduled. */
export async function podAndNode(objects: ObjectStore, namespace: string, name: string): Promise<{ pod: KubeObject; node: KubeObject; nodeName: string }> {
  const pod = await objects.get(findResource('', 'v1', 'pods') as ResourceType, namespace, name);
  const nodeName = (pod as PodShape).spec?.nodeName;
  if (!nodeName) throw apiErrors.badRequest(`pod ${name} does not have a host assigned`);
  return { pod, nodeName, node: await objects.get(findResource('', 'v1', 'nodes') as ResourceType, undefined, nodeName) };
}

export function kubeletLogLocation(pod: KubeObject, node: KubeObject, query: URLSearchParams, preferredAddressTypes: string[]): { host: string; port: number; path: string } {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const container = chosenContainer(pod, query);
  const { host: address, port } = kubeletEndpoint(node, preferredAddressTypes);
  const params = new URLSearchParams();
  for (const p of PASSED_PARAMS) {
    const value = query.get(p);
    if (value !== null) params.set(p, value);
  }
  const search = params.toString();
  const path = `/containerLogs/${[namespace, name, container].map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
  return { host: address, port, path };
}

export type PodLogHandler = (res: ServerResponse, namespace: string, name: string, query: URLSearchParams) => Promise<void>;

export function podLogProxy(objects: ObjectStore, kubelet: KubeletClientOptions): PodLogHandler {
  return async (res, namespace, name, query) => {
    const { pod, node, nodeName } = await podAndNode(objects, namespace, name);
    const { host, port, path } = kubeletLogLocation(pod, node, query, kubelet.preferredAddressTypes);
    await new Promise<void>((resolve, reject) => {
      const upstream = https.request(
        { host, port, path, method: 'GET', cert: kubelet.cert, key: kubelet.key, ...(kubelet.ca ? { ca: kubelet.ca } : { rejectUnauthorized: false }) },
        (kubeletRes) => {
          const status = kubeletRes.statusCode ?? 502;
          if (status !== 200) {
            let text = '';
            kubeletRes.on('data', (c: Buffer) => (text += c.toString('utf8')));
            kubeletRes.on('end', () => reject(status === 404 ? apiErrors.notFoundPath(text.trim()) : apiErrors.internal(`the kubelet on ${nodeName} answered ${status}: ${text.trim()}`)));
            return;
          }
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private'});
          kubeletRes.pipe(res);
          kubeletRes.on('end', resolve);
          kubeletRes.on('error', () => resolve());
        },
      );
      res.on('close', () => upstream.destroy());
      upstream.on('error', (err) => (res.headersSent ? resolve() : reject(apiErrors.internal(`Get "https://${host}:${port}${path}": ${err.message}`))));
      upstream.end();
    });
  };
}
