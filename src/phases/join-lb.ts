/**
 * Where a joining node's agent reaches the API. With a controlPlaneEndpoint (an external load
 * balancer) it is that endpoint, as kubeadm does. Without one, the node gets a node-local load
 * balancer (agent/apiserver-lb.ts) on its own address: it starts from the API server discovery
 * used, learns the others from the `kubernetes` Endpoints and, on a control-plane node, prefers
 * the node's own API server — so losing any control-plane node, the first one too, keeps the
 * node's agent connected.
 */
import { APISERVER_LB_PORT, APISERVER_LB_SERVER_NAME, APISERVER_LB_STATE, type LoadBalancerState } from '../agent/apiserver-lb.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../kube/index.js';
import { joinHostPort } from '../manifests/index.js';
import type { JoinContext } from './join.js';

export interface ApiAccess {
  server: string;
  tlsServerName?: string;
}

/**
 * The cluster's controlPlaneEndpoint from kube-system/kubeadm-config (readable with the bootstrap
 * token). A cluster without that ConfigMap (not made by init) has none to tell: the load balancer,
 * which starts from the discovered server, is right either way.
 */
async function controlPlaneEndpoint(client: KubeClient): Promise<string> {
  const configMap = await client
    .get<KubeObject & { data?: Record<string, string> }>({ version: 'v1', resource: 'configmaps', namespace: 'kube-system', name: 'kubeadm-config' })
    .catch((err: unknown) => (err instanceof KubeApiError && (err.status === 403 || err.status === 404) ? undefined : Promise.reject(err)));
  if (!configMap) return '';
  const { load } = await import('js-yaml');
  const doc = load(configMap.data?.ClusterConfiguration ?? '') as { controlPlaneEndpoint?: unknown } | undefined;
  return typeof doc?.controlPlaneEndpoint === 'string' ? doc.controlPlaneEndpoint : '';
}

/** Decides how the agent reaches the API and writes the load balancer's state when it gets one. */
export async function agentApiAccess(ctx: JoinContext, client: KubeClient, discovered: string): Promise<ApiAccess> {
  if (await controlPlaneEndpoint(client)) return { server: discovered };
  const own = ctx.cfg.join.controlPlane?.localAPIEndpoint;
  const state: LoadBalancerState = {
    listen: joinHostPort(ctx.nodeIP, APISERVER_LB_PORT),
    servers: [new URL(discovered).host],
    ...(own ? { preferred: joinHostPort(own.advertiseAddress, own.bindPort) } : {}),
  };
  ctx.log.info(`[kubelet-start] The agent reaches the API through a node-local load balancer on ${state.listen} (state in "${APISERVER_LB_STATE}")`);
  await ctx.host.files.writeFile(APISERVER_LB_STATE, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return { server: `https://${state.listen}`, tlsServerName: APISERVER_LB_SERVER_NAME };
}
