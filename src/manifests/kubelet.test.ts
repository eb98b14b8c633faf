import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { defaultInitConfig } from '../config/defaults.js';
import { kubeletConfiguration as kubeadmKubeletDefaults } from '../config/componentconfigs.js';
import { kubeletConfiguration, renderAgentUnit, renderKubeletConfig } from './kubelet.js';

const KUBEADM_KUBELET_CONFIG = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
crashLoopBackOff: {}
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
httpCheckFrequency: 0s
imageMaximumGCAge: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`;

describe('renderKubeletConfig', () => {
  it('writes exactly the KubeletConfiguration kubeadm writes for a default config', () => {
    expect(renderKubeletConfig(defaultInitConfig('node1', '10.0.0.5'))).toBe(KUBEADM_KUBELET_CONFIG);
  });

  it('derives clusterDNS, clusterDomain and the client CA from the cluster configuration', () => {
    const cfg = defaultInitConfig('node1', '10.0.0.5');
    cfg.cluster.networking.serviceSubnet = '10.200.0.0/16';
    cfg.cluster.networking.dnsDomain = 'corp.example';
    cfg.cluster.certificatesDir = '/srv/pki';
    cfg.kubelet = kubeadmKubeletDefaults(undefined, cfg.cluster);
    const kc = kubeletConfiguration(cfg);
    expect(kc.clusterDNS).toEqual(['10.200.0.10']);
    expect(kc.clusterDomain).toBe('corp.example');
    expect(kc.authentication).toMatchObject({ x509: { clientCAFile: '/srv/pki/ca.crt' }, anonymous: { enabled: false } });
  });

  it('merges the user\'s KubeletConfiguration over kubeadm\'s, object by object', () => {
    const cfg = defaultInitConfig('node1', '10.0.0.5');
    cfg.kubelet = kubeadmKubeletDefaults({ cgroupDriver: 'cgroupfs', maxPods: 50, authentication: { webhook: { cacheTTL: '2m0s' } }, clusterDNS: ['10.96.0.53'], rotateCertificates: false }, cfg.cluster);
    const kc = kubeletConfiguration(cfg);
    expect(kc.cgroupDriver).toBe('cgroupfs');
    expect(kc.maxPods).toBe(50);
    expect(kc.clusterDNS).toEqual(['10.96.0.53']);
    expect(kc.authentication).toEqual({ anonymous: { enabled: false }, webhook: { cacheTTL: '2m0s', enabled: true }, x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' } });
    // kubeadm hard-codes rotation on.
    expect(kc.rotateCertificates).toBe(true);
  });

  it('points resolvConf at systemd-resolved\'s file when that service is active', () => {
    const cfg = defaultInitConfig('node1', '10.0.0.5');
    expect(kubeletConfiguration(cfg, { systemdResolved: true }).resolvConf).toBe('/run/systemd/resolve/resolv.conf');
    expect(kubeletConfiguration(cfg).resolvConf).toBeUndefined();
  });

  it('applies the loopback rule: a 127.0.0.2 node serves healthz and its API on 127.0.0.2 only', () => {
    const kc = kubeletConfiguration(defaultInitConfig('node2', '127.0.0.2'));
    expect(kc.healthzBindAddress).toBe('127.0.0.2');
    expect(kc.address).toBe('127.0.0.2');
    const routable = kubeletConfiguration(defaultInitConfig('node1', '10.0.0.5'));
    expect(routable.healthzBindAddress).toBe('127.0.0.1');
    expect(routable.address).toBeUndefined();
  });

  it('keeps addresses the user chose even on a loopback node', () => {
    const cfg = defaultInitConfig('node2', '127.0.0.2');
    cfg.kubelet = kubeadmKubeletDefaults({ healthzBindAddress: '127.0.0.7', address: '127.0.0.8' }, cfg.cluster);
    expect(kubeletConfiguration(cfg)).toMatchObject({ healthzBindAddress: '127.0.0.7', address: '127.0.0.8' });
  });

  it('renders the same bytes every time and parses back to the object', () => {
    const cfg = defaultInitConfig('node2', '127.0.0.2');
    const text = renderKubeletConfig(cfg);
    expect(renderKubeletConfig(cfg)).toBe(text);
    expect(yaml.load(text)).toEqual(kubeletConfiguration(cfg));
  });
});

describe('renderAgentUnit', () => {
  const values = { nodeName: 'node2', node: '/usr/bin/node', kubeforge: '/opt/kubeforge/bin/kubeforge.js', root: '/srv/nodes/node2' };

  it('fills the systemd unit that runs kubeforge agent for the node root', () => {
    const unit = renderAgentUnit(values);
    expect(unit).toContain('ExecStart="/usr/bin/node" "/opt/kubeforge/bin/kubeforge.js" agent --root "/srv/nodes/node2"\n');
    expect(unit).toContain('Environment="KUBEFORGE_ROOT=/srv/nodes/node2"\n');
    expect(unit).toContain('Description=kubeforge agent: the Kubernetes node agent for node2\n');
    expect(unit).toContain('Restart=always\n');
    expect(unit).toContain('[Install]\nWantedBy=multi-user.target\n');
    expect(unit).not.toContain('{{');
  });

  it('escapes systemd specifiers and rejects values that would break the unit', () => {
    expect(renderAgentUnit({ ...values, root: '/srv/100%' })).toContain('--root "/srv/100%%"');
    expect(() => renderAgentUnit({ ...values, root: '/srv/"x"' })).toThrow(expect.objectContaining({ code: 'KF_MANIFEST_UNIT_VALUE' }));
    expect(() => renderAgentUnit({ ...values, node: '' })).toThrow(expect.objectContaining({ code: 'KF_MANIFEST_UNIT_VALUE' }));
  });
});
