/**
 * kube-apiserver command-line flags, with upstream names. One table lists every flag kubeadm's
 * static-pod manifest (and common hand-written manifests) may pass; `used: false` rows are
 * accepted for compatibility and listed at -v=2. Unknown flags are an error naming the flag.
 */
import { validationError } from '../../errors.js';

type FlagKind = 'string' | 'bool' | 'int' | 'list';

interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly used: boolean;
  readonly default?: string;
}

const used = (name: string, kind: FlagKind = 'string', def?: string): FlagSpec => ({ name, kind, used: true, default: def });
/** Accepted and parsed, but nothing here acts on it yet; listed at -v=2. */
const unused = (name: string, kind: FlagKind = 'string', def?: string): FlagSpec => ({ name, kind, used: false, default: def });

export const FLAG_TABLE: readonly FlagSpec[] = [
  used('advertise-address'),
  used('secure-port', 'int', '6443'),
  used('bind-address', 'string', '0.0.0.0'),
  used('tls-cert-file'),
  used('tls-private-key-file'),
  used('tls-min-version', 'string', 'VersionTLS12'),
  used('client-ca-file'),
  used('etcd-servers', 'list'),
  used('etcd-cafile'),
  used('etcd-certfile'),
  used('etcd-keyfile'),
  used('etcd-prefix', 'string', '/registry'),
  used('service-account-key-file', 'list'),
  used('service-account-signing-key-file'),
  used('service-account-issuer', 'list'),
  used('api-audiences', 'list'),
  used('service-account-max-token-expiration', 'string', '0s'),
  unused('service-account-extend-token-expiration', 'bool'),
  used('service-cluster-ip-range', 'string', '10.0.0.0/24'),
  used('service-node-port-range', 'string', '30000-32767'),
  used('authorization-mode', 'list', 'AlwaysAllow'),
  used('authorization-always-allow-paths', 'list', '/healthz,/readyz,/livez'),
  used('enable-admission-plugins', 'list'),
  used('disable-admission-plugins', 'list'),
  used('enable-bootstrap-token-auth', 'bool', 'false'),
  used('anonymous-auth', 'bool', 'true'),
  unused('requestheader-client-ca-file'),
  unused('requestheader-allowed-names', 'list'),
  unused('requestheader-username-headers', 'list'),
  unused('requestheader-group-headers', 'list'),
  unused('requestheader-extra-headers-prefix', 'list'),
  used('max-request-bytes', 'int', String(3 * 1024 * 1024)),
  used('v', 'int', '0'),
  unused('allow-privileged', 'bool'),
  used('kubelet-client-certificate'),
  used('kubelet-client-key'),
  used('kubelet-certificate-authority'),
  used('kubelet-preferred-address-types', 'list', 'Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP'),
  unused('proxy-client-cert-file'),
  unused('proxy-client-key-file'),
  unused('enable-aggregator-routing', 'bool'),
  unused('service-account-lookup', 'bool'),
  unused('feature-gates', 'list'),
  unused('runtime-config', 'list'),
  unused('profiling', 'bool'),
  unused('audit-log-path'),
  unused('audit-log-maxage', 'int'),
  unused('audit-log-maxbackup', 'int'),
  unused('audit-log-maxsize', 'int'),
  unused('audit-policy-file'),
  unused('authorization-config'),
  unused('encryption-provider-config'),
  unused('endpoint-reconciler-type'),
  unused('event-ttl'),
  unused('storage-backend'),
  unused('storage-media-type'),
  unused('etcd-compaction-interval'),
  unused('max-requests-inflight', 'int'),
  unused('max-mutating-requests-inflight', 'int'),
  unused('tls-cipher-suites', 'list'),
  unused('cert-dir'),
  unused('logtostderr', 'bool'),
  unused('token-auth-file'),
  unused('default-not-ready-toleration-seconds', 'int'),
  unused('default-unreachable-toleration-seconds', 'int'),
  unused('oidc-issuer-url'),
  unused('oidc-client-id'),
];

const SPECS = new Map(FLAG_TABLE.map((spec) => [spec.name, spec]));

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
  /** How pods/log reaches kubelets: client certificate, optional CA for their serving certs, address order. */
  kubeletClientCertificate: string | undefined;
  kubeletClientKey: string | undefined;
  kubeletCertificateAuthority: string | undefined;
  kubeletPreferredAddressTypes: string[];
  verbosity: number;
  /** Known flags that were given but change nothing here, for the -v=2 listing. */
  ignored: string[];
}

function splitArg(arg: string): { name: string; inline: string | undefined } | undefined {
  const match = /^--?([A-Za-z0-9][A-Za-z0-9-]*)(?:=(.*))?$/s.exec(arg);
  if (!match) return undefined;
  return { name: match[1] as string, inline: match[2] };
}

function checkValue(spec: FlagSpec, value: string): string {
  if (spec.kind === 'bool' && !/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(value)) {
    throw validationError('KF_APISERVER_FLAG_VALUE', `invalid value "${value}" for flag --${spec.name}: expected a boolean`);
  }
  if (spec.kind === 'int' && !/^-?\d+$/.test(value)) {
    throw validationError('KF_APISERVER_FLAG_VALUE', `invalid value "${value}" for flag --${spec.name}: expected an integer`);
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };

/** A Go duration (`1h30m`, `3600s`, `0`) in whole seconds. */
export function goDurationSeconds(flag: string, value: string): number {
  if (value === '0') return 0;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw validationError('KF_APISERVER_FLAG_VALUE', `invalid value "${value}" for flag --${flag}: expected a duration such as 24h or 3600s`);
  }
  return Math.floor(parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] as string] as number), 0));
}

/** Parses argv (without the program name) into raw values keyed by flag name; lists accumulate. */
export function parseRawFlags(argv: readonly string[]): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const split = splitArg(arg);
    if (!split) {
      throw validationError('KF_APISERVER_FLAG_UNKNOWN', `unexpected argument "${arg}": kube-apiserver takes only flags`, {
        hint: 'Pass flags as --name=value or --name value',
      });
    }
    const spec = SPECS.get(split.name);
    if (!spec) {
      throw validationError('KF_APISERVER_FLAG_UNKNOWN', `unknown flag: --${split.name}`, {
        hint: 'kube-apiserver accepts the upstream flag names; run with -v=2 to list them',
      });
    }
    let value = split.inline;
    if (value === undefined) {
      if (spec.kind === 'bool') value = 'true';
      else if (i + 1 < argv.length) value = argv[++i] as string;
      else throw validationError('KF_APISERVER_FLAG_VALUE', `flag needs an argument: --${spec.name}`);
    }
    const list = values.get(spec.name) ?? [];
    list.push(checkValue(spec, value));
    values.set(spec.name, list);
  }
  return values;
}

/** Parses kube-apiserver flags into typed settings with upstream defaults. */
export function parseApiServerFlags(argv: readonly string[]): ApiServerFlags {
  const raw = parseRawFlags(argv);
  const last = (name: string): string | undefined => raw.get(name)?.at(-1) ?? SPECS.get(name)?.default;
  const list = (name: string): string[] => {
    const given = raw.get(name) ?? (SPECS.get(name)?.default !== undefined ? [SPECS.get(name)?.default as string] : []);
    return given.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  };
  const bool = (name: string): boolean => /^(true|1|t)$/i.test(last(name) ?? 'false');
  const int = (name: string): number => Number.parseInt(last(name) ?? '0', 10);
  const port = int('secure-port');
  if (port < 0 || port > 65535) throw validationError('KF_APISERVER_FLAG_VALUE', `--secure-port ${port} must be between 0 and 65535`);
  return {
    advertiseAddress: last('advertise-address'),
    securePort: port,
    bindAddress: last('bind-address') as string,
    tlsCertFile: last('tls-cert-file'),
    tlsPrivateKeyFile: last('tls-private-key-file'),
    clientCaFile: last('client-ca-file'),
    etcdServers: list('etcd-servers'),
    etcdCaFile: last('etcd-cafile'),
    etcdCertFile: last('etcd-certfile'),
    etcdKeyFile: last('etcd-keyfile'),
    etcdPrefix: (last('etcd-prefix') as string).replace(/\/+$/, ''),
    serviceAccountKeyFiles: list('service-account-key-file'),
    serviceAccountSigningKeyFile: last('service-account-signing-key-file'),
    serviceAccountIssuers: list('service-account-issuer'),
    apiAudiences: list('api-audiences'),
    serviceAccountMaxTokenSeconds: goDurationSeconds('service-account-max-token-expiration', last('service-account-max-token-expiration') as string),
    serviceClusterIpRange: last('service-cluster-ip-range') as string,
    serviceNodePortRange: last('service-node-port-range') as string,
    authorizationModes: list('authorization-mode'),
    alwaysAllowPaths: list('authorization-always-allow-paths'),
    admissionPlugins: list('enable-admission-plugins').filter((p) => !list('disable-admission-plugins').includes(p)),
    enableBootstrapTokenAuth: bool('enable-bootstrap-token-auth'),
    anonymousAuth: bool('anonymous-auth'),
    kubeletClientCertificate: last('kubelet-client-certificate'),
    kubeletClientKey: last('kubelet-client-key'),
    kubeletCertificateAuthority: last('kubelet-certificate-authority'),
    kubeletPreferredAddressTypes: list('kubelet-preferred-address-types'),
    maxRequestBytes: int('max-request-bytes'),
    verbosity: int('v'),
    ignored: [...raw.keys()].filter((name) => SPECS.get(name)?.used === false),
  };
}
