/**
 * Token discovery, kubeadm's order: read cluster-info without trusting the server, verify the
 * JWS for the token id, take its single cluster and CA, check the CA pin(s), then read cluster-info
 * again over TLS that trusts only that CA and require the same kubeconfig, byte for byte.
 */
import { validationError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseBootstrapToken } from '../token/index.js';
import { DiscoveryError } from './errors.js';
import { fetchClusterInfo, type FetchOptions } from './fetch.js';
import { pollUntilDeadline } from './poll.js';
import { checkCAPins, clusterInfoCluster, parseCACertHashes, verifyClusterInfoSignature, type DiscoveredCluster } from './verify.js';

export const DEFAULT_DISCOVERY_TIMEOUT_MS = 5 * 60_000;

export interface TokenDiscoveryOptions {
  /** `host:port` of the API server (join's positional argument). */
  endpoint: string;
  token: string;
  caCertHashes: string[];
  unsafeSkipCAVerification: boolean;
  timeoutMs?: number;
  log: Logger;
  retryIntervalMs?: number;
  progressIntervalMs?: number;
  /** For tests: the clock certificates are judged against. */
  now?: FetchOptions['now'];
}

export interface TokenDiscoveryResult {
  cluster: DiscoveredCluster;
  /** The signed cluster-info kubeconfig text. */
  clusterInfo: string;
  /** False with --discovery-token-unsafe-skip-ca-verification. */
  caVerified: boolean;
}

/** The flag checks discovery needs, all exit 3, before anything touches the network. */
export function validateTokenDiscovery(options: Pick<TokenDiscoveryOptions, 'token' | 'caCertHashes' | 'unsafeSkipCAVerification'>): string[] {
  parseBootstrapToken(options.token);
  const pins = parseCACertHashes(options.caCertHashes);
  if (pins.length === 0 && !options.unsafeSkipCAVerification) {
    throw validationError('KF_DISCOVERY_NO_CA_PIN', 'token-based discovery without --discovery-token-ca-cert-hash cannot tell your cluster from an impostor, so it is refused', {
      hint: 'pass --discovery-token-ca-cert-hash sha256:<hex> (printed by `kubeforge init` and `kubeforge token create --print-join-command`), or accept the risk with --discovery-token-unsafe-skip-ca-verification',
    });
  }
  return pins;
}

export async function discoverWithToken(options: TokenDiscoveryOptions): Promise<TokenDiscoveryResult> {
  const pins = validateTokenDiscovery(options);
  const token = parseBootstrapToken(options.token);
  const { log, endpoint } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
  const poll = { log, deadline: Date.now() + timeoutMs, timeoutMs, retryIntervalMs: options.retryIntervalMs, progressIntervalMs: options.progressIntervalMs };
  const fetchOptions = options.now ? { now: options.now } : {};

  log.info(`[discovery] Requesting cluster-info from https://${endpoint} (not yet trusting the server)`);
  const clusterInfo = await pollUntilDeadline(
    `the cluster-info ConfigMap at https://${endpoint} signed for token id "${token.id}"`,
    async () => verifyClusterInfoSignature(await fetchClusterInfo(endpoint, fetchOptions), token),
    poll,
  );
  const cluster = clusterInfoCluster(clusterInfo);
  if (pins.length === 0) {
    log.warn(`[discovery] cluster-info is signed by the token, but its CA was NOT checked (--discovery-token-unsafe-skip-ca-verification): anyone who knows the token could pose as the API server ${cluster.server}`);
    return { cluster, clusterInfo, caVerified: false };
  }
  checkCAPins(cluster.caPem, pins);
  log.info(`[discovery] cluster-info is signed for token id "${token.id}" and its CA matches the pinned public key; reading it again over TLS that trusts only that CA`);
  const secure = await pollUntilDeadline(
    `cluster-info at https://${endpoint} over TLS verified against the pinned CA`,
    async () => (await fetchClusterInfo(endpoint, { ...fetchOptions, ca: cluster.caPem })).kubeconfig ?? '',
    poll,
  );
  if (secure !== clusterInfo) {
    throw new DiscoveryError('KF_DISCOVERY_CLUSTER_INFO_CHANGED', 'the second cluster-info read (over verified TLS) differs from the first');
  }
  log.info(`[discovery] Cluster info signature and contents are valid and TLS certificate validates against pinned roots, will use API Server "${cluster.server}"`);
  return { cluster, clusterInfo, caVerified: true };
}
