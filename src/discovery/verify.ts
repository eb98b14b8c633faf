/**
 * The decisions of kubeadm's token discovery (discovery/token/token.go), pure: is cluster-info
 * signed for this token (validateClusterInfoToken), does it hold exactly one cluster with a CA,
 * and does that CA's public key match a pin (pubkeypin.Set.CheckAny).
 */
import { validationError } from '../errors.js';
import { parseKubeconfig } from '../kubeconfig/index.js';
import { caPublicKeyPin, certificatePem, pemCertificates } from '../pki/index.js';
import { verifyDetachedJWS, type BootstrapTokenString } from '../token/index.js';
import { DiscoveryError } from './errors.js';

export const JWS_KEY_PREFIX = 'jws-kubeconfig-';
const PIN_RE = /^sha256:[0-9a-f]{64}$/;

export interface DiscoveredCluster {
  /** The cluster's name in the kubeconfig it came from ('' in cluster-info). */
  name: string;
  server: string;
  /** PEM bundle of the cluster CA. */
  caPem: string;
}

/** Pins as kubeadm's pubkeypin.Set: `sha256:<64 hex>`, case-insensitive; anything else is exit 3. */
export function parseCACertHashes(hashes: string[]): string[] {
  return hashes.map((hash) => {
    const pin = hash.trim().toLowerCase();
    if (!PIN_RE.test(pin)) {
      throw validationError('KF_DISCOVERY_PIN_INVALID', `invalid --discovery-token-ca-cert-hash ${JSON.stringify(hash)}: expected "sha256:" followed by 64 hex digits`, {
        hint: 'use the pin `kubeforge init` or `kubeforge token create --print-join-command` printed (the SHA-256 of the CA certificate\'s DER SubjectPublicKeyInfo)',
      });
    }
    return pin;
  });
}

/** The signed kubeconfig text of cluster-info, once its JWS for this token id verifies. */
export function verifyClusterInfoSignature(data: Record<string, string>, token: BootstrapTokenString): string {
  const kubeconfig = data.kubeconfig;
  if (!kubeconfig) {
    throw new DiscoveryError('KF_DISCOVERY_NO_CLUSTER_INFO', 'there is no "kubeconfig" key in the cluster-info ConfigMap: this API server is not set up for token bootstrapping');
  }
  const jws = data[`${JWS_KEY_PREFIX}${token.id}`];
  if (!jws) {
    throw new DiscoveryError(
      'KF_DISCOVERY_TOKEN_UNKNOWN',
      `token id "${token.id}" not found among the signed cluster-info: the token is unknown, expired, or not allowed to sign (signed token ids: ${signedTokenIds(data).join(', ') || 'none'})`,
    );
  }
  if (!verifyDetachedJWS(kubeconfig, jws, token.id, token.secret)) {
    throw new DiscoveryError('KF_DISCOVERY_JWS_MISMATCH', `the cluster-info signature for token id "${token.id}" does not match: the token secret is wrong, or cluster-info was tampered with; this API server cannot be trusted`);
  }
  return kubeconfig;
}

export function signedTokenIds(data: Record<string, string>): string[] {
  return Object.keys(data).filter((k) => k.startsWith(JWS_KEY_PREFIX)).map((k) => k.slice(JWS_KEY_PREFIX.length)).sort();
}

/** The one cluster of a cluster-info kubeconfig, with its CA. */
export function clusterInfoCluster(kubeconfig: string): DiscoveredCluster {
  let clusters;
  try {
    clusters = parseKubeconfig(kubeconfig).clusters;
  } catch (err) {
    throw new DiscoveryError('KF_DISCOVERY_CLUSTER_INFO_INVALID', `the kubeconfig in the cluster-info ConfigMap cannot be parsed: ${(err as Error).message}`, { cause: err });
  }
  if (clusters.length !== 1) {
    throw new DiscoveryError('KF_DISCOVERY_CLUSTER_COUNT', `expected the kubeconfig in the cluster-info ConfigMap to have a single cluster, but it had ${clusters.length}`);
  }
  const cluster = clusters[0]!;
  const caPem = cluster.certificateAuthorityData ?? '';
  if (pemCertificates(caPem).length === 0) {
    throw new DiscoveryError('KF_DISCOVERY_NO_CA', `the cluster in the cluster-info ConfigMap has no CA certificate (certificate-authority-data ${caPem ? 'holds no PEM certificate' : 'is missing'})`);
  }
  if (!/^https:\/\//.test(cluster.server)) {
    throw new DiscoveryError('KF_DISCOVERY_CLUSTER_INFO_INVALID', `the cluster in the cluster-info ConfigMap has server ${JSON.stringify(cluster.server)}, not an https:// URL`);
  }
  return { name: cluster.name, server: cluster.server, caPem };
}

/** The pin of every certificate in a CA bundle. */
export function caBundlePins(caPem: string): string[] {
  return pemCertificates(caPem).map((der) => caPublicKeyPin(certificatePem(der)));
}

/** Passes when any certificate of the bundle has a pinned public key. */
export function checkCAPins(caPem: string, pins: string[]): void {
  let found: string[];
  try {
    found = caBundlePins(caPem);
  } catch (err) {
    throw new DiscoveryError('KF_DISCOVERY_NO_CA', `the CA certificate in the cluster-info ConfigMap cannot be parsed: ${(err as Error).message}`, { cause: err });
  }
  if (found.some((pin) => pins.includes(pin))) return;
  throw new DiscoveryError('KF_DISCOVERY_CA_PIN_MISMATCH', 'the cluster CA found in cluster-info does not match any --discovery-token-ca-cert-hash', {
    details: [...found.map((pin) => `found:    ${pin}`), ...pins.map((pin) => `expected: ${pin}`)],
  });
}
