import { describe, expect, it } from 'vitest';
import { defaultInitConfig } from './defaults.js';
import { loadInitConfig, loadJoinConfig, type LoadInitOptions } from './load.js';
import { printInitDefaults, printJoinDefaults } from './print.js';
import { thrownBy, yamlDocs } from '../../test/helpers/config-errors.js';
import { validateInitConfig, validateJoinConfig } from './validation.js';

const host = { hostname: 'Node-A', defaultAdvertiseAddress: '127.0.0.2' };
const load = (configText: string | undefined, flags: LoadInitOptions['flags'] = {}) =>
  loadInitConfig({ ...host, configText, configPath: 'kubeadm.yaml', flags });
const init4 = ['apiVersion: kubeadm.k8s.io/v1beta4', 'kind: InitConfiguration'];
const cluster4 = ['apiVersion: kubeadm.k8s.io/v1beta4', 'kind: ClusterConfiguration'];
const join4 = ['apiVersion: kubeadm.k8s.io/v1beta4', 'kind: JoinConfiguration'];

describe('loadInitConfig without a file', () => {
  it('gives kubeadm defaults with the host name and the default-route address', () => {
    const cfg = load(undefined);
    const expected = defaultInitConfig('node-a', '127.0.0.2');
    expect(cfg).toEqual(expected);
    expect(cfg.init.nodeRegistration.name).toBe('node-a');
    expect(cfg.init.localAPIEndpoint).toEqual({ advertiseAddress: '127.0.0.2', bindPort: 6443 });
  });
});

describe('strict decoding', () => {
  it('rejects an unknown top-level field, naming it, the kind and the document', () => {
    const err = thrownBy(() => load(yamlDocs([...init4, 'foo: 1'])));
    expect(err.code).toBe('KF_CONFIG_UNKNOWN_FIELD');
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe('kubeadm.yaml: document 1 (kubeadm.k8s.io/v1beta4, Kind=InitConfiguration): strict decoding error: unknown field "foo"');
  });

  it('names the full path of a nested unknown field', () => {
    const err = thrownBy(() => load(yamlDocs(init4, [...cluster4, 'apiServer:', '  extraArgs:', '  - name: v', '    value: "2"', '    vlaue: x'])));
    expect(err.message).toContain('document 2 (kubeadm.k8s.io/v1beta4, Kind=ClusterConfiguration)');
    expect(err.message).toContain('unknown field "apiServer.extraArgs[0].vlaue"');
  });

  it('lists every unknown field in the details', () => {
    const err = thrownBy(() => load(yamlDocs([...init4, 'a: 1', 'nodeRegistration:', '  b: 2'])));
    expect(err.details).toHaveLength(2);
    expect(err.details[1]).toContain('unknown field "nodeRegistration.b"');
  });

  it('rejects a v1beta4-only field in a v1beta3 document', () => {
    const err = thrownBy(() => load(yamlDocs(['apiVersion: kubeadm.k8s.io/v1beta3', 'kind: ClusterConfiguration', 'encryptionAlgorithm: RSA-4096'])));
    expect(err.message).toContain('unknown field "encryptionAlgorithm"');
  });

  it('rejects a string where a number is expected, naming the field', () => {
    const err = thrownBy(() => load(yamlDocs([...init4, 'localAPIEndpoint:', '  bindPort: "abc"'])));
    expect(err.code).toBe('KF_CONFIG_FIELD_TYPE');
    expect(err.message).toContain('localAPIEndpoint.bindPort: expected an integer, got string "abc"');
  });

  it('rejects a list where a string is expected', () => {
    const err = thrownBy(() => load(yamlDocs(init4, [...cluster4, 'kubernetesVersion: [a, b]'])));
    expect(err.message).toContain('kubernetesVersion: expected a string, got a list');
  });

  it('rejects a string where a list is expected', () => {
    const err = thrownBy(() => load(yamlDocs(init4, [...cluster4, 'apiServer:', '  certSANs: example.com'])));
    expect(err.message).toContain('apiServer.certSANs: expected a list, got string "example.com"');
  });

  it('rejects a malformed duration', () => {
    const err = thrownBy(() => load(yamlDocs([...init4, 'bootstrapTokens:', '- ttl: 1day'])));
    expect(err.message).toContain('bootstrapTokens[0].ttl: time: invalid duration "1day"');
  });

  it('turns a number given for a string field into its text, as sigs.k8s.io/yaml does', () => {
    const cfg = load(yamlDocs(['apiVersion: kubeadm.k8s.io/v1beta3', 'kind: ClusterConfiguration', 'apiServer:', '  extraArgs:', '    v: 2']));
    expect(cfg.cluster.apiServer.extraArgs).toEqual([{ name: 'v', value: '2' }]);
  });
});

describe('document routing', () => {
  it('rejects an unknown kubeadm API version, listing the accepted ones', () => {
    const err = thrownBy(() => load(yamlDocs(['apiVersion: kubeadm.k8s.io/v1beta9', 'kind: InitConfiguration'])));
    expect(err.code).toBe('KF_CONFIG_UNKNOWN_API_VERSION');
    expect(err.message).toContain('accepted: kubeadm.k8s.io/v1beta4, kubeadm.k8s.io/v1beta3');
  });

  it('asks to migrate a removed kubeadm API version', () => {
    const err = thrownBy(() => load(yamlDocs(['apiVersion: kubeadm.k8s.io/v1beta2', 'kind: InitConfiguration'])));
    expect(err.code).toBe('KF_CONFIG_OLD_API_VERSION');
    expect(err.message).toContain('kubeadm config migrate');
  });

  it('rejects an unknown kind, listing what is accepted', () => {
    const err = thrownBy(() => load(yamlDocs(['apiVersion: v1', 'kind: ConfigMap'])));
    expect(err.code).toBe('KF_CONFIG_UNKNOWN_KIND');
    expect(err.hint).toContain('InitConfiguration (kubeadm.k8s.io/v1beta4 or kubeadm.k8s.io/v1beta3)');
    expect(err.hint).toContain('KubeletConfiguration (kubelet.config.k8s.io/v1beta1)');
  });

  it('rejects a component config with the wrong apiVersion', () => {
    const err = thrownBy(() => load(yamlDocs(init4, ['apiVersion: kubelet.config.k8s.io/v1', 'kind: KubeletConfiguration'])));
    expect(err.code).toBe('KF_CONFIG_UNKNOWN_API_VERSION');
    expect(err.message).toContain('accepted: kubelet.config.k8s.io/v1beta1');
  });

  it('rejects a document without apiVersion and kind', () => {
    expect(thrownBy(() => load('nodeRegistration: {}\n')).code).toBe('KF_CONFIG_MISSING_TYPE');
  });

  it('rejects the same kind twice', () => {
    const err = thrownBy(() => load(yamlDocs(init4, ['apiVersion: kubeadm.k8s.io/v1beta3', 'kind: InitConfiguration'])));
    expect(err.code).toBe('KF_CONFIG_DUPLICATE_KIND');
    expect(err.message).toContain('documents 1 and 2');
  });

  it('requires an InitConfiguration or ClusterConfiguration in an init file', () => {
    const err = thrownBy(() => load(yamlDocs(['apiVersion: kubelet.config.k8s.io/v1beta1', 'kind: KubeletConfiguration'])));
    expect(err.code).toBe('KF_CONFIG_NO_KUBEADM_KIND');
  });

  it('ignores a JoinConfiguration in an init file with a warning, as kubeadm does', () => {
    const warnings: string[] = [];
    loadInitConfig({ ...host, flags: {}, configText: yamlDocs(init4, [...join4, 'discovery: {}']), warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(['[config] WARNING: Ignored configuration document with GroupVersionKind kubeadm.k8s.io/v1beta4, Kind=JoinConfiguration']);
  });
});

describe('v1beta3 conversion', () => {
  const v1beta3 = yamlDocs(
    ['apiVersion: kubeadm.k8s.io/v1beta3', 'kind: InitConfiguration', 'nodeRegistration:', '  kubeletExtraArgs:', '    node-ip: 10.0.0.5', '    cgroup-driver: systemd'],
    [
      'apiVersion: kubeadm.k8s.io/v1beta3',
      'kind: ClusterConfiguration',
      'apiServer:',
      '  timeoutForControlPlane: 7m',
      '  extraArgs:',
      '    v: "4"',
      '    audit-log-path: /var/log/audit.log',
      'etcd:',
      '  local:',
      '    extraArgs:',
      '      quota-backend-bytes: "8589934592"',
    ],
  );

  it('turns extraArgs maps into name/value lists sorted by name', () => {
    const cfg = load(v1beta3);
    expect(cfg.cluster.apiServer.extraArgs).toEqual([
      { name: 'audit-log-path', value: '/var/log/audit.log' },
      { name: 'v', value: '4' },
    ]);
    expect(cfg.init.nodeRegistration.kubeletExtraArgs).toEqual([
      { name: 'cgroup-driver', value: 'systemd' },
      { name: 'node-ip', value: '10.0.0.5' },
    ]);
    expect(cfg.cluster.etcd.local?.extraArgs).toEqual([{ name: 'quota-backend-bytes', value: '8589934592' }]);
  });

  it('moves apiServer.timeoutForControlPlane to timeouts.controlPlaneComponentHealthCheck', () => {
    expect(load(v1beta3).init.timeouts.controlPlaneComponentHealthCheck).toBe('7m0s');
  });

  it('gives the v1beta4-only fields their defaults', () => {
    const cfg = load(v1beta3);
    expect(cfg.cluster.encryptionAlgorithm).toBe('RSA-2048');
    expect(cfg.cluster.certificateValidityPeriod).toBe('8760h0m0s');
    expect(cfg.cluster.caCertificateValidityPeriod).toBe('87600h0m0s');
    expect(cfg.init.nodeRegistration.imagePullSerial).toBe(true);
    expect(cfg.init.timeouts.kubeletHealthCheck).toBe('4m0s');
  });

  it('moves a v1beta3 discovery.timeout to timeouts.discovery on join', () => {
    const cfg = loadJoinConfig({
      ...host,
      flags: {},
      configText: yamlDocs(['apiVersion: kubeadm.k8s.io/v1beta3', 'kind: JoinConfiguration', 'discovery:', '  timeout: 90s', '  file:', '    kubeConfigPath: file:///etc/kubernetes/discovery.conf']),
    });
    expect(cfg.join.timeouts.discovery).toBe('1m30s');
    expect(cfg.join.discovery.file).toEqual({ kubeConfigPath: '/etc/kubernetes/discovery.conf' });
  });
});

describe('defaulting from the file', () => {
  it('derives DNS and etcd images from a custom imageRepository', () => {
    const cfg = load(yamlDocs(init4, [...cluster4, 'imageRepository: registry.example.com/k8s']));
    expect(cfg.cluster.dns.imageRepository).toBe('registry.example.com/k8s');
    expect(cfg.cluster.etcd.local?.imageRepository).toBe('registry.example.com/k8s');
  });

  it('normalises the Kubernetes version to start with v', () => {
    expect(load(yamlDocs(init4, [...cluster4, 'kubernetesVersion: 1.32.3'])).cluster.kubernetesVersion).toBe('v1.32.3');
  });

  it('keeps taints: [] (no taint) distinct from unset (the default control-plane taint)', () => {
    expect(load(yamlDocs([...init4, 'nodeRegistration:', '  taints: []'])).init.nodeRegistration.taints).toEqual([]);
    expect(load(yamlDocs(init4)).init.nodeRegistration.taints).toBeUndefined();
  });

  it('replaces an unspecified advertise address with the default-route address', () => {
    expect(load(yamlDocs([...init4, 'localAPIEndpoint:', '  advertiseAddress: 0.0.0.0'])).init.localAPIEndpoint.advertiseAddress).toBe('127.0.0.2');
  });

  it('uses external etcd instead of local etcd when configured', () => {
    const cfg = load(yamlDocs(init4, [...cluster4, 'etcd:', '  external:', '    endpoints: [https://10.0.0.9:2379]']));
    expect(cfg.cluster.etcd.local).toBeUndefined();
    expect(cfg.cluster.etcd.external?.endpoints).toEqual(['https://10.0.0.9:2379']);
  });
});

describe('component configs', () => {
  it("fills kubeadm's kubelet defaults from the cluster configuration", () => {
    const cfg = load(yamlDocs(init4, [...cluster4, 'networking:', '  serviceSubnet: 10.100.0.0/16', '  dnsDomain: corp.local', 'certificatesDir: /srv/pki']));
    expect(cfg.kubelet).toMatchObject({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      cgroupDriver: 'systemd',
      clusterDNS: ['10.100.0.10'],
      clusterDomain: 'corp.local',
      staticPodPath: '/etc/kubernetes/manifests',
      rotateCertificates: true,
      healthzBindAddress: '127.0.0.1',
      healthzPort: 10248,
      authentication: { x509: { clientCAFile: '/srv/pki/ca.crt' }, anonymous: { enabled: false }, webhook: { enabled: true } },
      authorization: { mode: 'Webhook' },
    });
  });

  it('keeps the fields of a KubeletConfiguration document over the defaults, except rotateCertificates', () => {
    const cfg = load(yamlDocs(init4, ['apiVersion: kubelet.config.k8s.io/v1beta1', 'kind: KubeletConfiguration', 'cgroupDriver: cgroupfs', 'maxPods: 50', 'rotateCertificates: false', 'authentication:', '  anonymous:', '    enabled: true']));
    expect(cfg.kubelet).toMatchObject({ cgroupDriver: 'cgroupfs', maxPods: 50, rotateCertificates: true, authentication: { anonymous: { enabled: true }, webhook: { enabled: true } } });
  });

  it('sets the kube-proxy clusterCIDR from the pod subnet and keeps user fields', () => {
    const cfg = load(yamlDocs(init4, [...cluster4, 'networking:', '  podSubnet: 10.244.0.0/16'], ['apiVersion: kubeproxy.config.k8s.io/v1alpha1', 'kind: KubeProxyConfiguration', 'mode: ipvs']));
    expect(cfg.kubeProxy).toEqual({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      bindAddress: '0.0.0.0',
      clientConnection: { kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf' },
      clusterCIDR: '10.244.0.0/16',
      mode: 'ipvs',
    });
  });

  it('binds kube-proxy to :: when the advertise address is IPv6', () => {
    expect(load(undefined, { apiserverAdvertiseAddress: 'fd00::10' }).kubeProxy.bindAddress).toBe('::');
  });
});

describe('flags', () => {
  const file = yamlDocs(
    [...init4, 'localAPIEndpoint:', '  advertiseAddress: 10.0.0.1', '  bindPort: 7443', 'nodeRegistration:', '  name: from-file', '  ignorePreflightErrors: [Swap]'],
    [...cluster4, 'networking:', '  podSubnet: 10.1.0.0/16', '  serviceSubnet: 10.2.0.0/16'],
  );

  it('override the values from the file', () => {
    const cfg = load(file, {
      apiserverAdvertiseAddress: '127.0.0.5',
      apiserverBindPort: 8443,
      nodeName: 'from-flag',
      podNetworkCidr: '192.168.0.0/16',
      serviceCidr: '10.3.0.0/16',
      serviceDnsDomain: 'example.local',
      token: 'abcdef.0123456789abcdef',
      tokenTtl: '2h',
      certDir: '/tmp/pki',
      kubernetesVersion: '1.32.1',
      controlPlaneEndpoint: 'cp.example.com:6443',
      apiserverCertExtraSans: ['cp.example.com', '10.0.0.100'],
      criSocket: 'unix:///run/crio/crio.sock',
      imageRepository: 'mirror.example.com',
      featureGates: 'WaitForAllControlPlaneComponents=true',
      uploadCerts: true,
      certificateKey: 'a'.repeat(64),
      skipPhases: ['addon/kube-proxy'],
      ignorePreflightErrors: ['NumCPU'],
    });
    expect(cfg.init.localAPIEndpoint).toEqual({ advertiseAddress: '127.0.0.5', bindPort: 8443 });
    expect(cfg.init.nodeRegistration.name).toBe('from-flag');
    expect(cfg.init.nodeRegistration.criSocket).toBe('unix:///run/crio/crio.sock');
    expect(cfg.cluster.networking).toEqual({ podSubnet: '192.168.0.0/16', serviceSubnet: '10.3.0.0/16', dnsDomain: 'example.local' });
    expect(cfg.init.bootstrapTokens[0]).toMatchObject({ token: 'abcdef.0123456789abcdef', ttl: '2h0m0s' });
    expect(cfg.cluster.certificatesDir).toBe('/tmp/pki');
    expect(cfg.cluster.kubernetesVersion).toBe('v1.32.1');
    expect(cfg.cluster.controlPlaneEndpoint).toBe('cp.example.com:6443');
    expect(cfg.cluster.apiServer.certSANs).toEqual(['cp.example.com', '10.0.0.100']);
    expect(cfg.cluster.imageRepository).toBe('mirror.example.com');
    expect(cfg.cluster.featureGates).toEqual({ WaitForAllControlPlaneComponents: true });
    expect(cfg.uploadCerts).toBe(true);
    expect(cfg.init.certificateKey).toBe('a'.repeat(64));
    expect(cfg.init.skipPhases).toEqual(['addon/kube-proxy']);
    expect(cfg.kubelet.clusterDNS).toEqual(['10.3.0.10']);
    expect(cfg.kubeProxy.clusterCIDR).toBe('192.168.0.0/16');
    validateInitConfig(cfg);
  });

  it('merge --ignore-preflight-errors with the file, lower-cased and sorted', () => {
    expect(load(file, { ignorePreflightErrors: ['NumCPU', 'swap'] }).init.nodeRegistration.ignorePreflightErrors).toEqual(['numcpu', 'swap']);
  });

  it('leave the file values alone when not given', () => {
    const cfg = load(file, {});
    expect(cfg.init.localAPIEndpoint).toEqual({ advertiseAddress: '10.0.0.1', bindPort: 7443 });
    expect(cfg.init.nodeRegistration.name).toBe('from-file');
  });

  it('reject an unparseable --token-ttl', () => {
    const err = thrownBy(() => load(undefined, { tokenTtl: 'tomorrow' }));
    expect(err.code).toBe('KF_CONFIG_FLAG_INVALID');
    expect(err.message).toContain('--token-ttl');
  });

  it('reject a --feature-gates pair without a boolean', () => {
    expect(thrownBy(() => load(undefined, { featureGates: 'RootlessControlPlane' })).message).toContain('missing bool value for RootlessControlPlane');
  });
});

describe('loadJoinConfig', () => {
  const base = { ...host, configPath: 'join.yaml' };

  it('builds token discovery from the flags alone', () => {
    const hash = `sha256:${'ab'.repeat(32)}`;
    const cfg = loadJoinConfig({ ...base, flags: { apiServerEndpoint: '127.0.0.2:6443', token: 'abcdef.0123456789abcdef', discoveryTokenCaCertHash: [hash] } });
    expect(cfg.join.discovery).toEqual({
      tlsBootstrapToken: 'abcdef.0123456789abcdef',
      bootstrapToken: { token: 'abcdef.0123456789abcdef', apiServerEndpoint: '127.0.0.2:6443', caCertHashes: [hash], unsafeSkipCAVerification: false },
    });
    expect(cfg.join.nodeRegistration.name).toBe('node-a');
    validateJoinConfig(cfg);
  });

  it('adds a control-plane section with the default address for --control-plane', () => {
    const cfg = loadJoinConfig({ ...base, flags: { controlPlane: true, certificateKey: 'b'.repeat(64), apiserverBindPort: 7443 } });
    expect(cfg.join.controlPlane).toEqual({ localAPIEndpoint: { advertiseAddress: '127.0.0.2', bindPort: 7443 }, certificateKey: 'b'.repeat(64) });
  });

  it('lets flags override the file', () => {
    const cfg = loadJoinConfig({ ...base, configText: printJoinDefaults(), flags: { nodeName: 'worker-1', tlsBootstrapToken: 'zzzzzz.0123456789abcdef', discoveryTokenUnsafeSkipCaVerification: false } });
    expect(cfg.join.nodeRegistration.name).toBe('worker-1');
    expect(cfg.join.discovery.tlsBootstrapToken).toBe('zzzzzz.0123456789abcdef');
    expect(cfg.join.discovery.bootstrapToken?.unsafeSkipCAVerification).toBe(false);
  });

  it('keeps a KubeletConfiguration document given beside the JoinConfiguration', () => {
    const cfg = loadJoinConfig({ ...base, flags: {}, configText: yamlDocs([...join4, 'discovery: {}'], ['apiVersion: kubelet.config.k8s.io/v1beta1', 'kind: KubeletConfiguration', 'maxPods: 10']) });
    expect(cfg.kubelet).toEqual({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', maxPods: 10 });
  });

  it('requires a JoinConfiguration in a join file', () => {
    expect(thrownBy(() => loadJoinConfig({ ...base, flags: {}, configText: yamlDocs(init4) })).code).toBe('KF_CONFIG_NO_KUBEADM_KIND');
  });
});

describe('print defaults round-trip', () => {
  it('loads init-defaults back into the defaults with the placeholders', () => {
    const cfg = loadInitConfig({ ...host, configText: printInitDefaults(), flags: {} });
    const expected = defaultInitConfig('node', '1.2.3.4');
    expected.init.bootstrapTokens[0]!.token = 'abcdef.0123456789abcdef';
    expect(cfg).toEqual(expected);
    validateInitConfig(cfg);
  });

  it('loads join-defaults back into a valid join configuration', () => {
    const cfg = loadJoinConfig({ ...host, configText: printJoinDefaults(), flags: {} });
    expect(cfg.join.nodeRegistration.name).toBe('node');
    expect(cfg.join.caCertPath).toBe('/etc/kubernetes/pki/ca.crt');
    expect(cfg.join.discovery.bootstrapToken).toEqual({ token: 'abcdef.0123456789abcdef', apiServerEndpoint: 'kube-apiserver:6443', caCertHashes: [], unsafeSkipCAVerification: true });
    expect(cfg.join.timeouts.discovery).toBe('5m0s');
    validateJoinConfig(cfg);
  });
});
