import { describe, expect, it } from 'vitest';
import { clusterDNSIP, apiServerServiceIP } from './componentconfigs.js';
import { defaultInitConfig, defaultJoinConfiguration, KUBERNETES_VERSION } from './defaults.js';
import { loadInitConfig } from './load.js';
import { marshalClusterConfiguration, printInitDefaults, printJoinDefaults } from './print.js';

// Values from kubeadm 1.32: apis/kubeadm/v1beta4/defaults.go, defaults_unix.go, constants/constants.go.
describe("kubeadm's v1beta4 defaults", () => {
  const cfg = defaultInitConfig('node', '10.0.0.1');

  it('match ClusterConfiguration defaults', () => {
    expect(cfg.cluster).toMatchObject({
      kubernetesVersion: 'v1.32.0',
      clusterName: 'kubernetes',
      certificatesDir: '/etc/kubernetes/pki',
      imageRepository: 'registry.k8s.io',
      encryptionAlgorithm: 'RSA-2048',
      certificateValidityPeriod: '8760h0m0s',
      caCertificateValidityPeriod: '87600h0m0s',
      networking: { serviceSubnet: '10.96.0.0/12', podSubnet: '', dnsDomain: 'cluster.local' },
      etcd: { local: { dataDir: '/var/lib/etcd', imageTag: '3.5.16-0' } },
      dns: { imageRepository: 'registry.k8s.io/coredns', imageTag: 'v1.11.3', disabled: false },
    });
  });

  it('match InitConfiguration defaults', () => {
    expect(cfg.init.bootstrapTokens).toEqual([
      { token: '', description: '', ttl: '24h0m0s', usages: ['signing', 'authentication'], groups: ['system:bootstrappers:kubeadm:default-node-token'] },
    ]);
    expect(cfg.init.localAPIEndpoint.bindPort).toBe(6443);
    expect(cfg.init.nodeRegistration).toMatchObject({
      criSocket: 'unix:///var/run/containerd/containerd.sock',
      imagePullPolicy: 'IfNotPresent',
      imagePullSerial: true,
      taints: undefined,
    });
  });

  it('match the Timeouts defaults', () => {
    expect(cfg.init.timeouts).toEqual({
      controlPlaneComponentHealthCheck: '4m0s',
      kubeletHealthCheck: '4m0s',
      kubernetesAPICall: '1m0s',
      etcdAPICall: '2m0s',
      tlsBootstrap: '5m0s',
      discovery: '5m0s',
      upgradeManifests: '5m0s',
    });
  });

  it('match JoinConfiguration defaults', () => {
    const join = defaultJoinConfiguration('Worker');
    expect(join.caCertPath).toBe('/etc/kubernetes/pki/ca.crt');
    expect(join.nodeRegistration.name).toBe('worker');
    expect(join.discovery).toEqual({ tlsBootstrapToken: '' });
  });

  it('put the API service at the 1st and DNS at the 10th address of the service subnet', () => {
    expect(apiServerServiceIP('10.96.0.0/12')).toBe('10.96.0.1');
    expect(clusterDNSIP('10.96.0.0/12')).toBe('10.96.0.10');
    expect(clusterDNSIP('fd00:10:96::/112,10.96.0.0/16')).toBe('fd00:10:96::a');
    expect(cfg.kubelet.clusterDNS).toEqual(['10.96.0.10']);
  });
});

/** The part of kubeadm's output init-defaults and join-defaults share. */
const NODE_REGISTRATION_AND_TIMEOUTS = `nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  imagePullPolicy: IfNotPresent
  imagePullSerial: true
  name: node
  taints: null
timeouts:
  controlPlaneComponentHealthCheck: 4m0s
  discovery: 5m0s
  etcdAPICall: 2m0s
  kubeletHealthCheck: 4m0s
  kubernetesAPICall: 1m0s
  tlsBootstrap: 5m0s
  upgradeManifests: 5m0s
`;

describe('printInitDefaults', () => {
  it('prints exactly what kubeadm 1.32 `config print init-defaults` prints', () => {
    expect(printInitDefaults()).toBe(`apiVersion: kubeadm.k8s.io/v1beta4
bootstrapTokens:
- groups:
  - system:bootstrappers:kubeadm:default-node-token
  token: abcdef.0123456789abcdef
  ttl: 24h0m0s
  usages:
  - signing
  - authentication
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 1.2.3.4
  bindPort: 6443
${NODE_REGISTRATION_AND_TIMEOUTS}---
apiServer: {}
apiVersion: kubeadm.k8s.io/v1beta4
caCertificateValidityPeriod: 87600h0m0s
certificateValidityPeriod: 8760h0m0s
certificatesDir: /etc/kubernetes/pki
clusterName: kubernetes
controllerManager: {}
dns: {}
encryptionAlgorithm: RSA-2048
etcd:
  local:
    dataDir: /var/lib/etcd
imageRepository: registry.k8s.io
kind: ClusterConfiguration
kubernetesVersion: ${KUBERNETES_VERSION.slice(1)}
networking:
  dnsDomain: cluster.local
  serviceSubnet: 10.96.0.0/12
proxy: {}
scheduler: {}
`);
  });
});

describe('printJoinDefaults', () => {
  it('prints exactly what kubeadm 1.32 `config print join-defaults` prints', () => {
    expect(printJoinDefaults()).toBe(`apiVersion: kubeadm.k8s.io/v1beta4
caCertPath: /etc/kubernetes/pki/ca.crt
discovery:
  bootstrapToken:
    apiServerEndpoint: kube-apiserver:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
  tlsBootstrapToken: abcdef.0123456789abcdef
kind: JoinConfiguration
${NODE_REGISTRATION_AND_TIMEOUTS}`);
  });
});

describe('marshalClusterConfiguration (the kubeadm-config ConfigMap)', () => {
  it('round-trips through the strict decoder to the same internal ClusterConfiguration', () => {
    const cfg = defaultInitConfig('node', '10.0.0.1');
    cfg.cluster.apiServer.certSANs = ['api.example.test'];
    cfg.cluster.apiServer.extraArgs = [{ name: 'audit-log-maxage', value: '7' }];
    cfg.cluster.networking.podSubnet = '10.244.0.0/16';
    const text = marshalClusterConfiguration(cfg.cluster);
    expect(text).toMatch(/^apiServer:\n {2}certSANs:\n {2}- api\.example\.test\n/);
    expect(text).toContain('kind: ClusterConfiguration');
    const loaded = loadInitConfig({ configText: text, configPath: 'kubeadm-config', flags: {}, hostname: 'node', defaultAdvertiseAddress: '10.0.0.1' });
    expect(loaded.cluster).toEqual(cfg.cluster);
  });
});
