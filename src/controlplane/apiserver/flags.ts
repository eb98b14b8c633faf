/**
 * kube-apiserver command-line flags, with upstream names. One table lists every flag kubeadm's
 * static-pod manifest (and common hand-written manifests) may pass; acceptedFlag rows are
 * accepted for compatibility and listed at -v=2. Parsing (pflag syntax, unknown flags and bad
 * values as errors naming the flag) is the components' shared parser, common/flags.ts.
 */
import { validationError } from '../../errors.js';
import { acceptedFlag, flag, parseFlags, type FlagSpec } from '../common/flags.js';

export const FLAG_TABLE: readonly FlagSpec[] = [
  flag('advertise-address'),
  flag('secure-port', 'int', '6443'),
  flag('bind-address', 'string', '0.0.0.0'),
  flag('tls-cert-file'),
  flag('tls-private-key-file'),
  flag('tls-min-version', 'string', 'VersionTLS12'),
  flag('client-ca-file'),
  flag('etcd-servers', 'list'),
  flag('etcd-cafile'),
  flag('etcd-certfile'),
  flag('etcd-keyfile'),
  flag('etcd-prefix', 'string', '/registry'),
  flag('service-account-key-file', 'list'),
  flag('service-account-signing-key-file'),
  flag('service-account-issuer', 'list'),
  flag('api-audiences', 'list'),
  flag('service-account-max-token-expiration', 'duration', '0s'),
  acceptedFlag('service-account-extend-token-expiration', 'bool'),
  flag('service-cluster-ip-range', 'string', '10.0.0.0/24'),
  flag('service-node-port-range', 'string', '30000-32767'),
  flag('authorization-mode', 'list', 'AlwaysAllow'),
  flag('authorization-always-allow-paths', 'list', '/healthz,/readyz,/livez'),
  flag('enable-admission-plugins', 'list'),
  flag('disable-admission-plugins', 'list'),
  flag('enable-bootstrap-token-auth', 'bool', 'false'),
  flag('anonymous-auth', 'bool', 'true'),
  flag('requestheader-client-ca-file'),
  flag('requestheader-allowed-names', 'list'),
  flag('requestheader-username-headers', 'list'),
  flag('requestheader-group-headers', 'list'),
  flag('requestheader-extra-headers-prefix', 'list'),
  flag('max-request-bytes', 'int', String(3 * 1024 * 1024)),
  flag('v', 'int', '0', 'v'),
  acceptedFlag('allow-privileged', 'bool'),
  flag('kubelet-client-certificate'),
  flag('kubelet-client-key'),
  flag('kubelet-certificate-authority'),
  flag('kubelet-preferred-address-types', 'list', 'Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP'),
  acceptedFlag('proxy-client-cert-file'),
  acceptedFlag('proxy-client-key-file'),
  acceptedFlag('enable-aggregator-routing', 'bool'),
  acceptedFlag('service-account-lookup', 'bool'),
  acceptedFlag('feature-gates', 'list'),
  acceptedFlag('runtime-config', 'list'),
  acceptedFlag('profiling', 'bool'),
  acceptedFlag('audit-log-path'),
  acceptedFlag('audit-log-maxage', 'int'),
  acceptedFlag('audit-log-maxbackup', 'int'),
  acceptedFlag('audit-log-maxsize', 'int'),
  acceptedFlag('audit-policy-file'),
  acceptedFlag('authorization-config'),
  acceptedFlag('encryption-provider-config'),
  acceptedFlag('endpoint-reconciler-type'),
  acceptedFlag('event-ttl'),
  acceptedFlag('storage-backend'),
  acceptedFlag('storage-media-type'),
  acceptedFlag('etcd-compaction-interval'),
  acceptedFlag('max-requests-inflight', 'int'),
  acceptedFlag('max-mutating-requests-inflight', 'int'),
  acceptedFlag('tls-cipher-suites', 'list'),
  acceptedFlag('cert-dir'),
  acceptedFlag('logtostderr', 'bool'),
  acceptedFlag('token-auth-file'),
  acceptedFlag('default-not-ready-toleration-seconds', 'int'),
  acceptedFlag('default-unreachable-toleration-seconds', 'int'),
  acceptedFlag('oidc-issuer-url'),
  acceptedFlag('oidc-client-id'),
];

/** The typed settings the server uses. */
export interface ApiServerFlags {
  advertiseAddress: string | undefined;
  securePort: number;
  bindAddress: string;
  tlsCertFile: string | undefined;
  tlsPrivateKeyFile: string | undefined;
  clientCaFile: string | undefined;
  etcdServers: string[];
  etcdCaFile: string | undefined;
  etcdCertFile: string | undefined;
  etcdKeyFile: string | undefined;
  etcdPrefix: string;
  serviceAccountKeyFiles: string[];
  serviceAccountSigningKeyFile: string | undefined;
  serviceAccountIssuers: string[];
  apiAudiences: string[];
  /** --service-account-max-token-expiration in seconds; 0 for no limit. */
  serviceAccountMaxTokenSeconds: number;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  authorizationModes: string[];
  /** Non-resource paths no authorizer is asked about (upstream: the health endpoints). */
  alwaysAllowPaths: string[];
  admissionPlugins: string[];
  enableBootstrapTokenAuth: boolean;
  anonymousAuth: boolean;
  maxRequestBytes: number;
  /** --requestheader-*: published in kube-system/extension-apiserver-authentication. */
  requestHeader: { clientCaFile: string | undefined; allowedNames: string[]; usernameHeaders: string[]; groupHeaders: string[]; extraHeadersPrefix: string[] };
  /** How pods/log reaches kubelets: client certificate, optional CA for their serving certs, address order. */
  kubeletClientCertificate: string | undefined;
  kubeletClientKey: string | undefined;
  kubeletCertificateAuthority: string | undefined;
  kubeletPreferredAddressTypes: string[];
  verbosity: number;
  /** Known flags that were given but change nothing here, for the -v=2 listing. */
  ignored: string[];
}

/** Parses kube-apiserver flags into typed settings with upstream defaults. */
export function parseApiServerFlags(argv: readonly string[]): ApiServerFlags {
  const flags = parseFlags(FLAG_TABLE, argv, 'kube-apiserver');
  const defaulted = (name: string): string => flags.string(name) as string; // a string flag with a default
  const list = (name: string): string[] => flags.list(name).filter((v) => v !== '');
  const port = flags.int('secure-port');
  if (port < 0 || port > 65535) throw validationError('KF_APISERVER_FLAG_VALUE', `--secure-port ${port} must be between 0 and 65535`);
  const maxTokenMs = flags.duration('service-account-max-token-expiration');
  if (maxTokenMs < 0) throw validationError('KF_APISERVER_FLAG_VALUE', '--service-account-max-token-expiration must not be negative', { hint: 'give a duration such as 24h, or 0 for no limit' });
  return {
    advertiseAddress: flags.string('advertise-address'),
    securePort: port,
    bindAddress: defaulted('bind-address'),
    tlsCertFile: flags.string('tls-cert-file'),
    tlsPrivateKeyFile: flags.string('tls-private-key-file'),
    clientCaFile: flags.string('client-ca-file'),
    etcdServers: list('etcd-servers'),
    etcdCaFile: flags.string('etcd-cafile'),
    etcdCertFile: flags.string('etcd-certfile'),
    etcdKeyFile: flags.string('etcd-keyfile'),
    etcdPrefix: defaulted('etcd-prefix').replace(/\/+$/, ''),
    serviceAccountKeyFiles: list('service-account-key-file'),
    serviceAccountSigningKeyFile: flags.string('service-account-signing-key-file'),
    serviceAccountIssuers: list('service-account-issuer'),
    apiAudiences: list('api-audiences'),
    serviceAccountMaxTokenSeconds: Math.floor(maxTokenMs / 1000),
    serviceClusterIpRange: defaulted('service-cluster-ip-range'),
    serviceNodePortRange: defaulted('service-node-port-range'),
    authorizationModes: list('authorization-mode'),
    alwaysAllowPaths: list('authorization-always-allow-paths'),
    admissionPlugins: list('enable-admission-plugins').filter((p) => !list('disable-admission-plugins').includes(p)),
    enableBootstrapTokenAuth: flags.bool('enable-bootstrap-token-auth'),
    anonymousAuth: flags.bool('anonymous-auth'),
    kubeletClientCertificate: flags.string('kubelet-client-certificate'),
    kubeletClientKey: flags.string('kubelet-client-key'),
    kubeletCertificateAuthority: flags.string('kubelet-certificate-authority'),
    kubeletPreferredAddressTypes: list('kubelet-preferred-address-types'),
    maxRequestBytes: flags.int('max-request-bytes'),
    requestHeader: {
      clientCaFile: flags.string('requestheader-client-ca-file'),
      allowedNames: list('requestheader-allowed-names'),
      usernameHeaders: list('requestheader-username-headers'),
      groupHeaders: list('requestheader-group-headers'),
      extraHeadersPrefix: list('requestheader-extra-headers-prefix'),
    },
    verbosity: flags.int('v'),
    ignored: flags.ignored,
  };
}
