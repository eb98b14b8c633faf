/**
 * --use-service-account-credentials, as upstream: each controller acts as its own
 * ServiceAccount in kube-system (bootstrap-signer, token-cleaner, certificate-controller, ...)
 * with a token from the TokenRequest API, so RBAC sees `system:serviceaccount:kube-system:<sa>`
 * and the system:controller:<sa> roles apply. The token is renewed at 80% of its lifetime; the
 * shared informers keep using the controller manager's own identity (list/watch everything).
 */
import { isAlreadyExists, resourcePath, type KubeClientConfig } from '../../kube/index.js';
import type { Logger } from '../../log.js';
import type { ApiClient } from '../common/controller.js';
import type { ClientFactory } from '../common/run-component.js';
import { ref } from '../common/resources.js';

export const TOKEN_EXPIRATION_SECONDS = 3600;

interface TokenRequestStatus {
  status?: { token?: string; expirationTimestamp?: string };
}

export interface ServiceAccountCredentials {
  /** The client acting as the ServiceAccount; its token is renewed until `signal` aborts. */
  clientFor(serviceAccount: string, signal: AbortSignal): Promise<ApiClient>;
}

/** The TokenRequest body the controller manager sends for a controller's ServiceAccount. */
export const tokenRequest = (expirationSeconds = TOKEN_EXPIRATION_SECONDS) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { audiences: [], expirationSeconds } });

/** A client whose every call goes to the current one, which `swap` replaces. */
function swappableClient(initial: ApiClient & { close?(): void }): { client: ApiClient; swap(next: ApiClient & { close?(): void }): void } {
  let current = initial;
  const client = {
    get: (...a: Parameters<ApiClient['get']>) => current.get(...a),
    list: (...a: Parameters<ApiClient['list']>) => current.list(...a),
    create: (...a: Parameters<ApiClient['create']>) => current.create(...a),
    update: (...a: Parameters<ApiClient['update']>) => current.update(...a),
    patch: (...a: Parameters<ApiClient['patch']>) => current.patch(...a),
    delete: (...a: Parameters<ApiClient['delete']>) => current.delete(...a),
    watch: (...a: Parameters<ApiClient['watch']>) => current.watch(...a),
    request: (...a: Parameters<ApiClient['request']>) => current.request(...a),
  } as ApiClient;
  return {
    client,
    swap(next) {
      const old = current;
      current = next;
      // Let calls in flight on the old connection finish.
      setTimeout(() => old.close?.(), 60_000).unref?.();
    },
  };
}

export function serviceAccountCredentials(root: ApiClient, rootConfig: KubeClientConfig, makeClient: ClientFactory, log: Logger, namespace = 'kube-system'): ServiceAccountCredentials {
  const token = async (name: string) => {
    const answer = await root.request<TokenRequestStatus>('POST', resourcePath(ref('serviceaccounts', namespace, name, 'token')), { body: tokenRequest() });
    if (!answer?.status?.token) throw new Error(`the TokenRequest for ${namespace}/${name} returned no token`);
    const expires = answer.status.expirationTimestamp ? Date.parse(answer.status.expirationTimestamp) : Date.now() + TOKEN_EXPIRATION_SECONDS * 1000;
    return { token: answer.status.token, renewInMs: Math.max(10_000, (expires - Date.now()) * 0.8) };
  };
  const configFor = (bearer: string): KubeClientConfig => ({ server: rootConfig.server, ca: rootConfig.ca, token: bearer, timeoutMs: rootConfig.timeoutMs, userAgent: rootConfig.userAgent });
  return {
    async clientFor(name, signal) {
      try {
        await root.create(ref('serviceaccounts', namespace), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      const first = await token(name);
      const holder = swappableClient(makeClient(configFor(first.token)));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const renew = (inMs: number) => {
        timer = setTimeout(async () => {
          try {
            const next = await token(name);
            holder.swap(makeClient(configFor(next.token)));
            renew(next.renewInMs);
          } catch (err) {
            log.warn(`[kube-controller-manager] renewing the token of ${namespace}/${name} failed, retrying in 10s: ${err instanceof Error ? err.message : String(err)}`);
            renew(10_000);
          }
        }, inMs);
        timer.unref?.();
      };
      renew(first.renewInMs);
      signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
      return holder.client;
    },
  };
}
