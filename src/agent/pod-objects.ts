/**
 * The API objects a pod's containers need (ConfigMaps, Secrets, a bound service-account token),
 * read with the agent's own credentials: the Node authorizer lets a node read exactly what the
 * pods bound to it reference.
 */
import { isNotFound, resourcePath, type KubeClient, type KubeObject } from '../kube/index.js';
import type { PodObjects } from './cri/pod-resources.js';
import type { Pod } from './pod.js';

async function getOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function apiPodObjects(client: KubeClient): PodObjects {
  return {
    configMap: (namespace, name) => getOrUndefined(() => client.get<KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> }>({ version: 'v1', resource: 'configmaps', namespace, name })),
    secret: (namespace, name) => getOrUndefined(() => client.get<KubeObject & { data?: Record<string, string>; type?: string }>({ version: 'v1', resource: 'secrets', namespace, name })),
    async serviceAccountToken(pod: Pod, audience: string | undefined, expirationSeconds: number) {
      const sa = String(pod.spec.serviceAccountName ?? 'default');
      const review = await client.request<{ status?: { token?: string; expirationTimestamp?: string } }>('POST', resourcePath({ version: 'v1', resource: 'serviceaccounts', namespace: pod.metadata.namespace, name: sa, subresource: 'token' }), {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          metadata: {},
          spec: { ...(audience ? { audiences: [audience] } : {}), expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } },
        },
      });
      if (!review.status?.token) throw new Error(`the API server returned no token for service account ${pod.metadata.namespace}/${sa}`);
      return { token: review.status.token, ...(review.status.expirationTimestamp ? { expirationTimestamp: review.status.expirationTimestamp } : {}) };
    },
  };
}
