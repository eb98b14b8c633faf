/**
 * bootstrapsigner: keeps `kube-public/cluster-info` signed for every signing token. For each
 * valid, unexpired bootstrap token Secret with usage-bootstrap-signing "true", the ConfigMap
 * carries `jws-kubeconfig-<id>` = detached JWS of its `kubeconfig`; signatures of deleted,
 * expired or non-signing tokens are removed, and all are recomputed when the kubeconfig changes.
 * The ConfigMap is re-examined at the earliest token expiry, since expiry sends no event.
 */
import type { KubeObject } from '../../kube/index.js';
import { contextQueue, runQueue, untilAborted, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { detachedJWS, isBootstrapTokenSecret, secretDataValue, tokenExpiration } from '../../token/index.js';
import { signingToken, type DetachedSigner, type Secret } from './bootstraptoken.js';
import { setOwn } from '../../safe-keys.js';

export const CLUSTER_INFO = { namespace: 'kube-public', name: 'cluster-info' };
export const JWS_KEY_PREFIX = 'jws-kubeconfig-';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/**
 * The data cluster-info should have given the token Secrets, or undefined when it already has
 * it (or has no kubeconfig to sign).
 */
export function signedClusterInfoData(clusterInfo: ConfigMap, secrets: Secret[], now: Date, sign: DetachedSigner = detachedJWS): Record<string, string> | undefined {
  const data = clusterInfo.data ?? {};
  const kubeconfig = data.kubeconfig;
  if (kubeconfig === undefined) return undefined;
  const wanted: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) if (!key.startsWith(JWS_KEY_PREFIX)) setOwn(wanted, key, value);
  for (const secret of secrets) {
    const token = signingToken(secret, now);
    if (token) wanted[`${JWS_KEY_PREFIX}${token.id}`] = sign(kubeconfig, token.id, token.secret);
  }
  const same = Object.keys(wanted).length === Object.keys(data).length && Object.entries(wanted).every(([k, v]) => data[k] === v);
  return same ? undefined : wanted;
}

/** Milliseconds until the first of these tokens expires, if any has an expiration. */
export function nextExpiryMs(secrets: Secret[], now: Date): number | undefined {
  const times = secrets.map((s) => tokenExpiration(secretDataValue(s, 'expiration'), now)).flatMap((e) => (e.kind === 'expires' ? [e.inMs] : []));
  return times.length ? Math.min(...times) : undefined;
}

export function bootstrapSignerController(sign: DetachedSigner = detachedJWS): Controller {
  return {
    name: 'bootstrapsigner',
    async run(ctx: ControllerContext) {
      const configMaps = ctx.informers.informerFor<ConfigMap>(ref('configmaps', CLUSTER_INFO.namespace));
      const secrets = ctx.informers.informerFor<Secret>(ref('secrets', 'kube-system'));
      const queue = contextQueue(ctx, 'bootstrap_signer_queue');
      const key = `${CLUSTER_INFO.namespace}/${CLUSTER_INFO.name}`;
      configMaps.on({ add: (o) => o.metadata.name === CLUSTER_INFO.name && queue.add(key), update: (_, o) => o.metadata.name === CLUSTER_INFO.name && queue.add(key) });
      const onSecret = (s: Secret) => isBootstrapTokenSecret(s) && queue.add(key);
      secrets.on({ add: onSecret, update: (_, s) => onSecret(s), delete: onSecret });
      await Promise.all([configMaps.synced(), secrets.synced()]);
      queue.add(key);
      const sync = async () => {
        const clusterInfo = configMaps.get(key);
        if (!clusterInfo) return;
        const tokens = secrets.list().filter(isBootstrapTokenSecret);
        const now = ctx.now();
        const data = signedClusterInfoData(clusterInfo, tokens, now, sign);
        if (data) {
          await ctx.client.update(ref('configmaps', CLUSTER_INFO.namespace, CLUSTER_INFO.name), { ...clusterInfo, data });
          ctx.log.debug(2, `[bootstrapsigner] updated cluster-info signatures: ${Object.keys(data).filter((k) => k.startsWith(JWS_KEY_PREFIX)).join(', ') || 'none'}`);
        }
        const next = nextExpiryMs(tokens, now);
        if (next !== undefined) queue.addAfter(key, next + 1);
      };
      await Promise.race([runQueue(ctx, queue, 1, sync), untilAborted(ctx.signal)]);
    },
  };
}
