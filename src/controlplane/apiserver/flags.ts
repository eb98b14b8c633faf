/**
 * kube-apiserver command-line flags, with upstream names. One table lists every flag kubeadm's
 * static-pod manifest (and common hand-written manifests) may pass; acceptedFlag rows are
 * accepted for compatibility and listed at -v=2. Parsing (pflag syntax, unknown flags and bad
 * values as errors naming the flag) is the components' shared parser, common/flags.ts.
 */
import type { SecureVersion } from 'node:tls';
import { validationError } from '../../errors.js';
import { acceptedFlag, flag, parseFlags, type FlagSpec, type ParsedFlags } from '../common/flags.js';

export const FLAG_TABLE: readonly FlagSpec[] = [
  flag('advertise-address'),
  flag('secure-port', 'int', '6443'),
  flag('bind-address', 'string', '0.0.0.0'),
  flag('tls-cert-file'),
  flag('tls-private-key-file'),
  flag('tls-min-version', 'tls-version', 'VersionTLS12'),
  flag('client-ca-file'),
  flag('etcd-servers', 'list'),
  flag('etcd-cafile'),
  flag('etcd-certfile'),
  flag('etcd-keyfile'),
  flag('etcd-prefix', 'string', '/registry'),
  flag('etcd-compaction-interval', 'duration', '5m0s'),
  flag('etcd-readycheck-timeout', 'duration', '2s'),
  acceptedFlag('etcd-healthcheck-timeout', 'duration'),
  flag('request-timeout', 'duration', '1m0s'),
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
  flag('profiling', 'bool', 'true'),
  flag('audit-log-path'),
  flag('audit-log-maxage', 'int', '0'),
  flag('audit-log-maxbackup', 'int', '0'),
  flag('audit-log-maxsize', 'int', '0'),
  flag('audit-policy-file'),
  acceptedFlag('authorization-config'),
  flag('encryption-provider-config'),
  acceptedFlag('endpoint-reconciler-type'),
  acceptedFlag('event-ttl'),
  acceptedFlag('storage-backend'),
  acceptedFlag('storage-media-type'),
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
  /** --tls-min-version, as Node names it. */
  tlsMinVersion: SecureVersion;
  clientCaFile: string | undefined;
  etcdServers: string[];
  etcdCaFile: string | undefined;
  etcdCertFile: string | undefined;
  etcdKeyFile: string | undefined;
  etcdPrefix: string;
  /** How often the compactor runs (0: never), in milliseconds. */
  etcdCompactionIntervalMs: number;
  /** The deadline of /readyz's etcd check, in milliseconds. */
  etcdReadycheckTimeoutMs: number;
  /** The deadline of every etcd call a request makes, in milliseconds. */
  requestTimeoutMs: number;
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
  /** --enable-admission-plugins without the disabled ones. */
  admissionPlugins: string[];
  /** --disable-admission-plugins (turns off default-on plugins too). */
  disabledAdmissionPlugins: string[];
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
  /** --profiling: serve /debug/pprof (upstream's default true; kubeforge's manifests pass false, CIS 1.2.15). */
  profiling: boolean;
  /** --audit-policy-file; auditing is off without it or without --audit-log-path (as upstream). */
  auditPolicyFile: string | undefined;
  auditLogPath: string | undefined;
  auditLogMaxAgeDays: number;
  auditLogMaxBackups: number;
  auditLogMaxSizeMB: number;
  encryptionProviderConfig: string | undefined;
  /** Known flags that were given but change nothing here, for the -v=2 listing. */
  ignored: string[];
}

function nonNegativeInt(flags: ParsedFlags, name: string): number {
  const value = flags.int(name);
  if (value < 0) throw validationError('KF_APISERVER_FLAG_VALUE', `--${name} ${value} must not be negative`);
  return value;
}

/** Parses kube-apiserver flags into typed settings with upstream defaults. */
export function parseApiServerFlags(argv: readonly string[]): ApiServerFlags {
  const flags = parseFlags(FLAG_TABLE, argv, 'kube-apiserver');
  const defaulted = (name: string): string => flags.string(name) as string; // a string flag with a default
  const list = (name: string): string[] => flags.list(name).filter((v) => v !== '');
  const port = flags.int('secure-port');
  if (port < 0 || port > 65535) throw validationError('KF_APISERVER_FLAG_VALUE', `--secure-port ${port} must be between 0 and 65535`);
  const nonNegativeDuration = (name: string): number => {
    const ms = flags.duration(name);
    if (ms < 0) throw validationError('KF_APISERVER_FLAG_VALUE', `--${name} must not be negative`);
    return ms;
  };
  const positive = (name: string): number => {
    const ms = nonNegativeDuration(name);
    if (ms === 0) throw validationError('KF_APISERVER_FLAG_VALUE', `--${name} must be greater than 0`);
    return ms;
  };
  const maxTokenMs = flags.duration('service-account-max-token-expiration');
  if (maxTokenMs < 0) throw validationError('KF_APISERVER_FLAG_VALUE', '--service-account-max-token-expiration must not be negative', { hint: 'give a duration such as 24h, or 0 for no limit' });
  return {
    advertiseAddress: flags.string('advertise-address'),
    securePort: port,
    bindAddress: defaulted('bind-address'),
    tlsCertFile: flags.string('tls-cert-file'),
    tlsPrivateKeyFile: flags.string('tls-private-key-file'),
    tlsMinVersion: flags.tlsVersion('tls-min-version'),
    clientCaFile: flags.string('client-ca-file'),
    etcdServers: list('etcd-servers'),
    etcdCaFile: flags.string('etcd-cafile'),
    etcdCertFile: flags.string('etcd-certfile'),
    etcdKeyFile: flags.string('etcd-keyfile'),
    etcdPrefix: defaulted('etcd-prefix').replace(/\/+$/, ''),
    etcdCompactionIntervalMs: nonNegativeDuration('etcd-compaction-interval'),
    etcdReadycheckTimeoutMs: positive('etcd-readycheck-timeout'),
    requestTimeoutMs: positive('request-timeout'),
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
    disabledAdmissionPlugins: list('disable-admission-plugins'),
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
    profiling: flags.bool('profiling'),
    auditPolicyFile: flags.string('audit-policy-file') || undefined,
    auditLogPath: flags.string('audit-log-path') || undefined,
    auditLogMaxAgeDays: nonNegativeInt(flags, 'audit-log-maxage'),
    auditLogMaxBackups: nonNegativeInt(flags, 'audit-log-maxbackup'),
    auditLogMaxSizeMB: nonNegativeInt(flags, 'audit-log-maxsize'),
    encryptionProviderConfig: flags.string('encryption-provider-config') || undefined,
    ignored: flags.ignored,
  };
}
