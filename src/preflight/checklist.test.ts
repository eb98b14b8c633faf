import { describe, expect, it } from 'vitest';
import { defaultInitConfig } from '../config/defaults.js';
import type { InitConfig } from '../config/types.js';
import { initChecks, joinChecks } from './checklist.js';

const names = (checks: { name: string }[]) => checks.map((c) => c.name);

function config(mutate: (cfg: InitConfig) => void = () => {}): InitConfig {
  const cfg = defaultInitConfig('node-1', '127.0.0.2');
  mutate(cfg);
  return cfg;
}

describe('initChecks', () => {
  it("lists kubeadm's init checks in kubeadm's order", () => {
    expect(names(initChecks(config(), { rootIsSlash: true }))).toEqual([
      'IsPrivilegedUser', 'NumCPU', 'Mem', 'KubernetesVersion', 'Port-6443', 'Port-10259', 'Port-10257',
      'FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml', 'FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml',
      'FileAvailable--etc-kubernetes-manifests-kube-scheduler.yaml', 'FileAvailable--etc-kubernetes-manifests-etcd.yaml',
      'HTTPProxy', 'HTTPProxyCIDR', 'CRI', 'Swap', 'SystemVerification', 'Hostname', 'Port-10250',
      'FileContent--proc-sys-net-ipv4-ip_forward', 'FileExisting-etcd', 'Port-2379', 'Port-2380', 'DirAvailable--var-lib-etcd',
    ]);
  });

  it('skips IsPrivilegedUser when --root relocates the node', () => {
    expect(names(initChecks(config(), { rootIsSlash: false }))).not.toContain('IsPrivilegedUser');
  });

  it('checks the API bind port actually configured and the etcd data dir configured', () => {
    const checks = names(initChecks(config((c) => {
      c.init.localAPIEndpoint.bindPort = 7443;
      c.cluster.etcd.local!.dataDir = '/data/etcd';
    }), { rootIsSlash: false }));
    expect(checks).toContain('Port-7443');
    expect(checks).not.toContain('Port-6443');
    expect(checks).toContain('DirAvailable--data-etcd');
  });

  it('drops the local etcd checks and checks the client certificates with an external etcd', () => {
    const checks = names(initChecks(config((c) => {
      c.cluster.etcd = { external: { endpoints: ['https://10.0.0.9:2379'], caFile: '/etc/etcd/ca.crt', certFile: '/etc/etcd/c.crt', keyFile: '/etc/etcd/c.key' } };
    }), { rootIsSlash: false }));
    expect(checks).not.toContain('Port-2379');
    expect(checks).not.toContain('FileExisting-etcd');
    expect(checks.filter((n) => n === 'ExternalEtcdClientCertificates')).toHaveLength(3);
  });

  it('adds the IPv6 forwarding check for an IPv6 address or subnet', () => {
    const checks = names(initChecks(config((c) => {
      c.init.localAPIEndpoint.advertiseAddress = 'fd00::2';
      c.cluster.networking.serviceSubnet = 'fd00:10::/108';
    }), { rootIsSlash: false }));
    expect(checks).toContain('FileContent--proc-sys-net-ipv6-conf-default-forwarding');
    expect(checks).not.toContain('FileContent--proc-sys-net-ipv4-ip_forward');
  });
});

describe('joinChecks', () => {
  const worker = { nodeName: 'node-2', criSocket: 'unix:///var/run/containerd/containerd.sock', advertiseAddress: '127.0.0.3', discoveryEndpoint: '127.0.0.2:6443' };

  it('runs the node checks for a worker, without the control-plane ones', () => {
    expect(names(joinChecks(worker, { rootIsSlash: false }))).toEqual([
      'FileAvailable--etc-kubernetes-kubelet.conf', 'FileAvailable--etc-kubernetes-bootstrap-kubelet.conf',
      'CRI', 'Swap', 'SystemVerification', 'Hostname', 'Port-10250', 'FileAvailable--etc-kubernetes-pki-ca.crt',
      'HTTPProxy', 'FileContent--proc-sys-net-ipv4-ip_forward',
    ]);
  });

  it('adds the control-plane and etcd checks for join --control-plane, and keeps an existing CA', () => {
    const checks = names(joinChecks({ ...worker, controlPlane: { bindPort: 6443, localEtcdDataDir: '/var/lib/etcd' } }, { rootIsSlash: true }));
    expect(checks[0]).toBe('IsPrivilegedUser');
    expect(checks).toEqual(expect.arrayContaining(['NumCPU', 'Mem', 'Port-6443', 'Port-10257', 'Port-10259', 'Port-2379', 'Port-2380', 'DirAvailable--var-lib-etcd', 'FileExisting-etcd']));
    expect(checks).not.toContain('FileAvailable--etc-kubernetes-pki-ca.crt');
  });
});
