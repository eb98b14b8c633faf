/**
 * Discovery's failures, one code each, with the hint that fixes it. Retryable ones are what a
 * cluster that is still coming up produces (kubeadm polls them until --discovery-timeout);
 * the others cannot get better by waiting, so they fail at once.
 */
import { ExitCode, KubeforgeError } from '../errors.js';

const TOKEN_HELP = 'create a token on the control plane with `kubeforge token create --print-join-command` and use the command it prints';

export const DISCOVERY_ERRORS = {
  KF_DISCOVERY_UNREACHABLE: { retryable: true, hint: 'check that the API server runs at that address and port, and that no firewall or proxy is in the way; use the address `kubeforge init` printed in its join command' },
  KF_DISCOVERY_CONNECTION_CLOSED: { retryable: true, hint: "the server closed the connection without answering: check that HOST:PORT is the API server's secure port (6443 by default), not another service" },
  KF_DISCOVERY_PROTOCOL: { retryable: false, hint: 'the server did not answer like a Kubernetes API server over HTTPS: check that HOST:PORT is the API server\'s secure port' },
  KF_DISCOVERY_HTTP: { retryable: true, hint: "see the API server's log on the control plane" },
  KF_DISCOVERY_FORBIDDEN: { retryable: false, hint: 'the API server refuses anonymous access to kube-public/cluster-info: run `kubeforge init phase bootstrap-token` on the control plane (it creates the kubeadm:bootstrap-signer-clusterinfo Role and RoleBinding) and keep --anonymous-auth enabled' },
  KF_DISCOVERY_NO_CLUSTER_INFO: { retryable: true, hint: 'the cluster has no usable kube-public/cluster-info ConfigMap yet: run `kubeforge init phase bootstrap-token` on the control plane' },
  KF_DISCOVERY_TOKEN_UNKNOWN: { retryable: true, hint: `${TOKEN_HELP}; \`kubeforge token list\` shows whether the token exists, has expired, or lacks the "signing" usage; the controller manager's bootstrapsigner must be running to sign cluster-info` },
  KF_DISCOVERY_JWS_MISMATCH: { retryable: false, hint: `check the secret part of --token (the 16 characters after the dot); ${TOKEN_HELP}. If the token is right, something between you and the server altered cluster-info: do not trust this server` },
  KF_DISCOVERY_CLUSTER_INFO_INVALID: { retryable: false, hint: 'recreate it on the control plane with `kubeforge init phase bootstrap-token`' },
  KF_DISCOVERY_CLUSTER_COUNT: { retryable: false, hint: 'cluster-info must hold exactly one cluster: recreate it on the control plane with `kubeforge init phase bootstrap-token`' },
  KF_DISCOVERY_NO_CA: { retryable: false, hint: 'cluster-info must carry the cluster CA as certificate-authority-data: recreate it on the control plane with `kubeforge init phase bootstrap-token`' },
  KF_DISCOVERY_CA_PIN_MISMATCH: { retryable: false, hint: 'compare with `kubeforge token create --print-join-command` on the control plane (or the pin `kubeforge init` printed); if your pin is right, the server you reached is not your cluster: do not join it' },
  KF_DISCOVERY_TLS_NAME_MISMATCH: { retryable: false, hint: "join through a name or address the certificate holds, or add this one to ClusterConfiguration apiServer.certSANs and renew the API server's certificate on the control plane (`kubeforge certs renew apiserver`)" },
  KF_DISCOVERY_CLOCK_SKEW: { retryable: false, hint: "set this machine's clock right (e.g. `timedatectl set-ntp true`), or the control plane's if that one is wrong, then join again" },
  KF_DISCOVERY_CERT_EXPIRED: { retryable: false, hint: "renew the API server's certificate on the control plane (`kubeforge certs renew apiserver`), or fix this machine's clock if it is ahead" },
  KF_DISCOVERY_TLS_UNTRUSTED: { retryable: false, hint: 'the server at this address presents a certificate the pinned cluster CA did not sign: another server may be answering there; check the address' },
  KF_DISCOVERY_CLUSTER_INFO_CHANGED: { retryable: false, hint: 'cluster-info changed between the two reads (or different servers answered): join again; if it persists, check for a load balancer mixing clusters' },
  KF_DISCOVERY_FILE_UNREADABLE: { retryable: false, hint: 'pass a readable kubeconfig file or an https:// URL serving one with --discovery-file' },
  KF_DISCOVERY_NO_CREDENTIALS: { retryable: false, hint: 'pass --tls-bootstrap-token (or --token), or use a discovery file whose user has a token or client certificate' },
} as const satisfies Record<string, { retryable: boolean; hint: string }>;

export type DiscoveryErrorCode = keyof typeof DISCOVERY_ERRORS;

export class DiscoveryError extends KubeforgeError {
  readonly retryable: boolean;

  constructor(code: DiscoveryErrorCode, message: string, options: { cause?: unknown; details?: string[]; exitCode?: ExitCode } = {}) {
    super(code, message, { ...options, hint: DISCOVERY_ERRORS[code].hint });
    this.retryable = DISCOVERY_ERRORS[code].retryable;
  }
}

export const isRetryable = (err: unknown): err is DiscoveryError => err instanceof DiscoveryError && err.retryable;
