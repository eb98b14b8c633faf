import { describe, expect, it } from 'vitest';
import { defaultInitConfig, defaultJoinConfig } from './defaults.js';
import { thrownBy } from '../../test/helpers/config-errors.js';
import type { InitConfig, JoinConfig } from './types.js';
import { initConfigErrors, joinConfigErrors, validateInitConfig, validateJoinConfig } from './validation.js';

const TOKEN = 'abcdef.0123456789abcdef';
const HASH = `sha256:${'0f'.repeat(32)}`;

function validInit(): InitConfig {
  const cfg = defaultInitConfig('node-1', '10.0.0.1');
  cfg.init.bootstrapTokens[0]!.token = TOKEN;
  return cfg;
}

function validJoin(): JoinConfig {
  const cfg = defaultJoinConfig('node-2');
  cfg.join.discovery = { bootstrapToken: { token: TOKEN, apiServerEndpoint: '10.0.0.1:6443', caCertHashes: [HASH], unsafeSkipCAVerification: false }, tlsBootstrapToken: TOKEN };
  return cfg;
}

describe('validateInitConfig', () => {
  it('accepts the defaults', () => {
    expect(initConfigErrors(validInit())).toEqual([]);
    expect(() => validateInitConfig(validInit())).not.toThrow();
  });

  it('accepts a token left empty for the bootstrap-token phase to generate', () => {
    expect(initConfigErrors(defaultInitConfig('node-1', '10.0.0.1'))).toEqual([]);
  });

  const rules: [string, (c: InitConfig) => void, string][] = [
    ['an advertise address that is not an IP', (c) => (c.init.localAPIEndpoint.advertiseAddress = '1.2.3'), 'localAPIEndpoint.advertiseAddress: Invalid value: "1.2.3": ip address is not valid'],
    ['an unspecified advertise address', (c) => (c.init.localAPIEndpoint.advertiseAddress = '0.0.0.0'), 'localAPIEndpoint.advertiseAddress: Invalid value: "0.0.0.0": the advertise address must be a specific IP'],
    ['a bind port of 0', (c) => (c.init.localAPIEndpoint.bindPort = 0), 'localAPIEndpoint.bindPort: Invalid value: 0: port number is not valid'],
    ['a bind port above 65535', (c) => (c.init.localAPIEndpoint.bindPort = 70000), 'localAPIEndpoint.bindPort: Invalid value: 70000'],
    ['a service subnet that is not a CIDR', (c) => (c.cluster.networking.serviceSubnet = '10.96.0.0'), `networking.serviceSubnet: Invalid value: "10.96.0.0": couldn't parse subnet`],
    ['a pod subnet that is not a CIDR', (c) => (c.cluster.networking.podSubnet = '10.244.0.0/33'), `networking.podSubnet: Invalid value: "10.244.0.0/33": couldn't parse subnet`],
    ['two service subnets of one family', (c) => (c.cluster.networking.serviceSubnet = '10.96.0.0/16,10.97.0.0/16'), 'expected one (IPv4 or IPv6) CIDR or two CIDRs from each family for dual-stack networking'],
    ['a service subnet with more than 20 host bits', (c) => (c.cluster.networking.serviceSubnet = '10.0.0.0/8'), 'networking.serviceSubnet: Invalid value: "10.0.0.0/8": specified service subnet is too large; for 32-bit addresses, the mask must be >= 12'],
    ['an IPv6 service subnet with more than 20 host bits', (c) => (c.cluster.networking.serviceSubnet = 'fd00::/64'), 'for 128-bit addresses, the mask must be >= 108'],
    ['a service subnet too small for the DNS IP', (c) => (c.cluster.networking.serviceSubnet = '10.96.0.0/29'), 'networking.serviceSubnet: Invalid value: "10.96.0.0/29": subnet with 8 address(es) is too small, the minimum is 10 (it must hold the API server service IP, the 1st address, and the cluster DNS IP, the 10th: use a /28 or larger'],
    ['a pod subnet smaller than the node mask', (c) => (c.cluster.networking.podSubnet = '10.244.0.0/25'), 'the size of pod subnet with mask 25 is smaller than the size of node subnet with mask 24'],
    ['a pod subnet too far from the node mask', (c) => (c.cluster.networking.podSubnet = '10.0.0.0/7'), 'pod subnet mask (7) and node-mask (24) difference is greater than 16'],
    ['a DNS domain that is not a DNS-1123 subdomain', (c) => (c.cluster.networking.dnsDomain = 'Cluster_Local'), 'networking.dnsDomain: Invalid value: "Cluster_Local": a lowercase RFC 1123 subdomain'],
    ['an upper-case node name', (c) => (c.init.nodeRegistration.name = 'Node1'), 'nodeRegistration.name: Invalid value: "Node1": a lowercase RFC 1123 subdomain'],
    ['a node name over 253 characters', (c) => (c.init.nodeRegistration.name = 'a'.repeat(254)), 'must be no more than 253 characters'],
    ['an empty node name', (c) => (c.init.nodeRegistration.name = ''), 'nodeRegistration: Required value: --node-name or .nodeRegistration.name'],
    ['a malformed bootstrap token', (c) => (c.init.bootstrapTokens[0]!.token = 'ABCDEF.0123456789abcdef'), 'bootstrapTokens.0.token: Invalid value: "ABCDEF.****************": the bootstrap token is invalid; the expected format is [a-z0-9]{6}.[a-z0-9]{16}'],
    ['a token TTL that is not a duration', (c) => (c.init.bootstrapTokens[0]!.ttl = '1 day'), 'bootstrapTokens.0.ttl: Invalid value: "1 day": time: invalid duration'],
    ['a token with both ttl and expires', (c) => (c.init.bootstrapTokens[0]!.expires = '2030-01-01T00:00:00Z'), 'bootstrapTokens.0: Invalid value: "": the BootstrapToken .TTL and .Expires fields are mutually exclusive'],
    ['an unknown token usage', (c) => (c.init.bootstrapTokens[0]!.usages = ['signing', 'root']), 'invalid bootstrap token usage string: root, valid usage options: signing,authentication'],
    ['token groups without the authentication usage', (c) => (c.init.bootstrapTokens[0]!.usages = ['signing']), 'token groups cannot be specified unless --usages includes "authentication"'],
    ['a token group outside system:bootstrappers', (c) => (c.init.bootstrapTokens[0]!.groups = ['system:masters']), 'bootstrap group "system:masters" is invalid'],
    ['a certificate validity that is not a duration', (c) => (c.cluster.certificateValidityPeriod = 'one year'), 'certificateValidityPeriod: Invalid value: "one year": time: invalid duration'],
    ['a CA certificate validity that is not a duration', (c) => (c.cluster.caCertificateValidityPeriod = '10y'), 'caCertificateValidityPeriod: Invalid value: "10y": time: invalid duration'],
    ['a leaf validity longer than the CA validity', (c) => (c.cluster.certificateValidityPeriod = '100000h0m0s'), 'certificateValidityPeriod: Invalid value: "100000h0m0s": must not be longer than caCertificateValidityPeriod (87600h0m0s)'],
    ['an unknown encryption algorithm', (c) => (c.cluster.encryptionAlgorithm = 'RSA-1024' as never), 'encryptionAlgorithm: Invalid value: "RSA-1024": Invalid encryption algorithm "RSA-1024". Must be one of [ECDSA-P256 RSA-2048 RSA-3072 RSA-4096]'],
    ['a control-plane endpoint with a bad port', (c) => (c.cluster.controlPlaneEndpoint = 'cp.example.com:99999'), 'controlPlaneEndpoint: Invalid value: "cp.example.com:99999": endpoint is not valid'],
    ['a control-plane endpoint with a bad host', (c) => (c.cluster.controlPlaneEndpoint = 'cp_example:6443'), 'controlPlaneEndpoint: Invalid value: "cp_example:6443"'],
    ['a certSAN that is neither a DNS name nor an IP', (c) => (c.cluster.apiServer.certSANs = ['ok.example.com', '*.wild.example.com', 'not valid']), 'apiServer.certSANs: Invalid value: "not valid": altname is not a valid IP address, DNS label or a DNS label with subdomain wildcards'],
    ['an etcd serverCertSAN that is invalid', (c) => (c.cluster.etcd.local!.serverCertSANs = ['bad_name']), 'etcd.local.serverCertSANs: Invalid value: "bad_name"'],
    ['an extraArgs entry without a name', (c) => (c.cluster.apiServer.extraArgs = [{ name: '', value: 'x' }]), 'apiServer.extraArgs: Invalid value: "index 0": argument has no name'],
    ['a kubeletExtraArgs entry without a name', (c) => (c.init.nodeRegistration.kubeletExtraArgs = [{ name: 'v', value: '2' }, { name: '', value: '' }]), 'nodeRegistration.kubeletExtraArgs: Invalid value: "index 1": argument has no name'],
    ['an unknown image pull policy', (c) => (c.init.nodeRegistration.imagePullPolicy = 'Sometimes' as never), 'nodeRegistration.imagePullPolicy: Invalid value: "Sometimes": invalid pull policy'],
    ['a taint with an unknown effect', (c) => (c.init.nodeRegistration.taints = [{ key: 'k', effect: 'NoPods' as never }]), 'nodeRegistration.taints[0].effect: Invalid value: "NoPods": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
    ['a taint without a key', (c) => (c.init.nodeRegistration.taints = [{ key: '', effect: 'NoSchedule' }]), 'nodeRegistration.taints[0].key: Required value'],
    ['a CRI socket that is not a unix URL', (c) => (c.init.nodeRegistration.criSocket = '/run/containerd/containerd.sock'), 'nodeRegistration.criSocket: Invalid value: "/run/containerd/containerd.sock": only URL scheme "unix" is supported, got ""'],
    ["'all' together with named pre-flight checks", (c) => (c.init.nodeRegistration.ignorePreflightErrors = ['all', 'swap']), `nodeRegistration.ignorePreflightErrors: Invalid value: "all,swap": don't specify individual checks if 'all' is used`],
    ['a certificate key that is not hex', (c) => (c.init.certificateKey = 'zz'.repeat(32)), 'certificateKey: Invalid value: "<redacted>": certificate key decoding error'],
    ['a certificate key of the wrong size', (c) => (c.init.certificateKey = 'ab'.repeat(16)), 'invalid certificate key size 16, the key must be an AES key of size 32'],
    ['a relative certificates directory', (c) => (c.cluster.certificatesDir = 'pki'), 'certificatesDir: Invalid value: "pki": path is not absolute'],
    ['an unknown feature gate', (c) => (c.cluster.featureGates = { NoSuchGate: true }), 'NoSuchGate is not a valid feature name.'],
    ['a malformed image repository', (c) => (c.cluster.imageRepository = 'Registry.Example.com/UPPER'), 'imageRepository: Invalid value: "Registry.Example.com/UPPER": invalid image repository format'],
    ['both local and external etcd', (c) => (c.cluster.etcd.external = { endpoints: ['https://e:2379'], caFile: '', certFile: '', keyFile: '' }), 'etcd: Invalid value: "": .Etcd.Local and .Etcd.External are mutually exclusive'],
    ['external etcd over http with client certificates', (c) => {
      delete c.cluster.etcd.local;
      c.cluster.etcd.external = { endpoints: ['http://e:2379'], caFile: '/ca.crt', certFile: '/c.crt', keyFile: '/c.key' };
    }, 'etcd.external.endpoints: Invalid value: "http://e:2379": the URL must be using the HTTPS scheme'],
    ['a timeout that is not a duration', (c) => (c.init.timeouts.kubeletHealthCheck = 'soon'), 'timeouts.kubeletHealthCheck: Invalid value: "soon"'],
  ];

  it.each(rules)('rejects %s', (_name, mutate, expected) => {
    const cfg = validInit();
    mutate(cfg);
    const err = thrownBy(() => validateInitConfig(cfg));
    expect(err.code).toBe('KF_CONFIG_INVALID');
    expect(err.exitCode).toBe(3);
    expect(err.details.join('\n')).toContain(expected);
  });

  it('accepts dual-stack subnets with one CIDR of each family', () => {
    const cfg = validInit();
    cfg.cluster.networking.serviceSubnet = '10.96.0.0/16,fd00:10:96::/112';
    cfg.cluster.networking.podSubnet = '10.244.0.0/16,fd00:10:244::/56';
    expect(initConfigErrors(cfg)).toEqual([]);
  });

  it('accepts an IPv6 advertise address and a host-only control-plane endpoint', () => {
    const cfg = validInit();
    cfg.init.localAPIEndpoint.advertiseAddress = 'fd00::1';
    cfg.cluster.controlPlaneEndpoint = 'cp.example.com';
    expect(initConfigErrors(cfg)).toEqual([]);
  });

  it('reports every problem in one error', () => {
    const cfg = validInit();
    cfg.init.localAPIEndpoint.advertiseAddress = 'nope';
    cfg.cluster.networking.serviceSubnet = 'bad';
    cfg.init.nodeRegistration.name = 'UPPER';
    const err = thrownBy(() => validateInitConfig(cfg));
    expect(err.details).toHaveLength(3);
    expect(err.message).toMatch(/^invalid InitConfiguration\/ClusterConfiguration: 3 problems, first: /);
  });

  it('never shows a token secret', () => {
    const cfg = validInit();
    cfg.init.bootstrapTokens[0]!.token = 'abcdef.SECRETSECRETSECR';
    const err = thrownBy(() => validateInitConfig(cfg));
    expect(`${err.message}\n${err.details.join('\n')}`).not.toContain('SECRET');
  });
});

describe('validateJoinConfig', () => {
  it('accepts token discovery with a CA pin', () => {
    expect(joinConfigErrors(validJoin())).toEqual([]);
  });

  const rules: [string, (c: JoinConfig) => void, string][] = [
    ['no discovery at all', (c) => (c.join.discovery = { tlsBootstrapToken: '' }), 'discovery: Invalid value: "": bootstrapToken or file must be set'],
    ['both token and file discovery', (c) => (c.join.discovery.file = { kubeConfigPath: '/etc/kubernetes/discovery.conf' }), 'discovery: Invalid value: "": bootstrapToken and file cannot both be set'],
    ['a CA hash that is not sha256:<64 hex>', (c) => (c.join.discovery.bootstrapToken!.caCertHashes = ['sha256:abc']), 'discovery.bootstrapToken.caCertHashes: Invalid value: "sha256:abc": invalid CA certificate hash'],
    ['no CA hash without unsafeSkipCAVerification', (c) => (c.join.discovery.bootstrapToken!.caCertHashes = []), 'using token-based discovery without caCertHashes can be unsafe'],
    ['a malformed discovery token', (c) => (c.join.discovery.bootstrapToken!.token = 'short.token'), 'discovery.bootstrapToken.token: Invalid value: "short.*****": the bootstrap token is invalid'],
    ['a malformed TLS bootstrap token', (c) => (c.join.discovery.tlsBootstrapToken = 'nodot'), 'discovery.tlsBootstrapToken: Invalid value: "<redacted, 5 characters>"'],
    ['a missing API server endpoint', (c) => (c.join.discovery.bootstrapToken!.apiServerEndpoint = ''), 'discovery.bootstrapToken: Required value: APIServerEndpoint is not set'],
    ['an API server endpoint without a port', (c) => (c.join.discovery.bootstrapToken!.apiServerEndpoint = '10.0.0.1'), 'discovery.bootstrapToken.apiServerEndpoint: Invalid value: "10.0.0.1": address 10.0.0.1: missing port in address'],
    ['a discovery URL that is not https', (c) => (c.join.discovery = { file: { kubeConfigPath: 'http://example.com/cluster-info' }, tlsBootstrapToken: '' }), 'discovery.file.kubeConfigPath: Invalid value: "http://example.com/cluster-info": if a URL is used, the scheme must be https'],
    ['a relative CA certificate path', (c) => (c.join.caCertPath = 'ca.crt'), 'caCertPath: Invalid value: "ca.crt": the ca certificate path must be an absolute path'],
    ['a control-plane advertise address that is not an IP', (c) => (c.join.controlPlane = { localAPIEndpoint: { advertiseAddress: 'x', bindPort: 6443 }, certificateKey: '' }), 'controlPlane.localAPIEndpoint.advertiseAddress: Invalid value: "x": ip address is not valid'],
    ['a control-plane certificate key of the wrong size', (c) => (c.join.controlPlane = { localAPIEndpoint: { advertiseAddress: '10.0.0.3', bindPort: 6443 }, certificateKey: 'abcd' }), 'controlPlane.certificateKey: Invalid value: "<redacted>": invalid certificate key size 2'],
    ['an upper-case node name', (c) => (c.join.nodeRegistration.name = 'Worker'), 'nodeRegistration.name: Invalid value: "Worker"'],
  ];

  it.each(rules)('rejects %s', (_name, mutate, expected) => {
    const cfg = validJoin();
    mutate(cfg);
    const err = thrownBy(() => validateJoinConfig(cfg));
    expect(err.code).toBe('KF_CONFIG_INVALID');
    expect(err.details.join('\n')).toContain(expected);
  });

  it('accepts no CA hash when unsafeSkipCAVerification is set', () => {
    const cfg = validJoin();
    cfg.join.discovery.bootstrapToken!.caCertHashes = [];
    cfg.join.discovery.bootstrapToken!.unsafeSkipCAVerification = true;
    expect(joinConfigErrors(cfg)).toEqual([]);
  });

  it('accepts file discovery without a TLS bootstrap token', () => {
    const cfg = validJoin();
    cfg.join.discovery = { file: { kubeConfigPath: '/etc/kubernetes/discovery.conf' }, tlsBootstrapToken: '' };
    expect(joinConfigErrors(cfg)).toEqual([]);
  });
});
