/**
 * How the DNS server reaches the API server, in CoreDNS's order: the kubernetes plugin's
 * `kubeconfig`, else its `endpoint` or the in-cluster configuration (the service account's token
 * and CA). In-cluster, a pod of a bundled image finds the node agent's API socket mounted at
 * BUNDLED_API_SOCKET and dials it (so cluster DNS does not wait for kube-proxy); any other pod
 * uses KUBERNETES_SERVICE_HOST/PORT as client-go's InClusterConfig does.
 */
import { KubeforgeError } from '../errors.js';
import type { FileHost } from '../host/index.js';
import type { KubeClientConfig } from '../kube/index.js';
import { kubeClientConfig } from '../kubeconfig/index.js';
import type { KubernetesPlugin } from './corefile.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Where the agent mounts its API socket into containers of bundled images. */
export const BUNDLED_API_SOCKET = '/var/run/kubeforge/apiserver.sock';
/** The name every API server certificate carries (the socket's far end is the node's API address). */
const API_SERVER_NAME = 'kubernetes';

export interface ApiAccess {
  config: KubeClientConfig;
  /** Re-reads the token file (bound tokens rotate); undefined with a kubeconfig. */
  refreshToken?: () => Promise<void>;
}

export async function dnsApiAccess(files: FileHost, plugin: KubernetesPlugin, env: NodeJS.ProcessEnv): Promise<ApiAccess> {
  if (plugin.kubeconfig) return { config: await kubeClientConfig(files, plugin.kubeconfig) };
  const socket = !plugin.endpoint && (await files.exists(BUNDLED_API_SOCKET)) ? BUNDLED_API_SOCKET : undefined;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const server = plugin.endpoint ?? (socket ? `https://${API_SERVER_NAME}` : host && port ? `https://${host.includes(':') ? `[${host}]` : host}:${port}` : undefined);
  if (!server) {
    throw new KubeforgeError('KF_COREDNS_NO_API', 'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined', {
      hint: 'run it in a pod, or give the kubernetes plugin a `kubeconfig PATH` line',
    });
  }
  const ca = await files.tryReadFile(`${SERVICE_ACCOUNT_DIR}/ca.crt`);
  if (!ca) throw new KubeforgeError('KF_COREDNS_NO_API', `${SERVICE_ACCOUNT_DIR}/ca.crt is missing: the pod has no service-account token mounted`);
  let token = (await files.readFile(`${SERVICE_ACCOUNT_DIR}/token`)).toString('utf8').trim();
  return {
    config: { server, ca, tokenSource: () => token, ...(socket ? { socketPath: files.resolve(socket), tlsServerName: API_SERVER_NAME } : {}), userAgent: 'coredns/kubeforge' },
    refreshToken: async () => {
      token = (await files.readFile(`${SERVICE_ACCOUNT_DIR}/token`)).toString('utf8').trim();
    },
  };
}
