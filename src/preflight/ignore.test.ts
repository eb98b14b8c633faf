import { describe, expect, it } from 'vitest';
import { ExitCode, KubeforgeError } from '../errors.js';
import { parseIgnorePreflightErrors, preflightCheckNames } from './ignore.js';

function thrown(fn: () => unknown): KubeforgeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof KubeforgeError) return err;
    throw err;
  }
  throw new Error('expected a KubeforgeError');
}

describe('preflightCheckNames', () => {
  it('lists the kubeadm names init can run', () => {
    expect(preflightCheckNames('init')).toEqual(expect.arrayContaining([
      'IsPrivilegedUser', 'NumCPU', 'Mem', 'Swap', 'Port-6443', 'Port-10257', 'Port-10259', 'Port-2379', 'Port-2380', 'Port-10250',
      'FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml', 'FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml',
      'FileAvailable--etc-kubernetes-manifests-kube-scheduler.yaml', 'FileAvailable--etc-kubernetes-manifests-etcd.yaml',
      'DirAvailable--var-lib-etcd', 'FileContent--proc-sys-net-ipv4-ip_forward', 'FileContent--proc-sys-net-ipv6-conf-default-forwarding',
      'SystemVerification', 'CRI', 'FileExisting-etcd', 'Hostname', 'HTTPProxy', 'HTTPProxyCIDR', 'KubernetesVersion',
      'ExternalEtcdClientCertificates',
    ]));
  });

  it('lists the join names, including those of a control-plane join', () => {
    const names = preflightCheckNames('join');
    expect(names).toEqual(expect.arrayContaining([
      'FileAvailable--etc-kubernetes-kubelet.conf', 'FileAvailable--etc-kubernetes-bootstrap-kubelet.conf',
      'FileAvailable--etc-kubernetes-pki-ca.crt', 'Port-10250', 'NumCPU', 'Port-6443', 'DirAvailable--var-lib-etcd',
    ]));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('parseIgnorePreflightErrors', () => {
  it('returns canonical names for case-insensitive, comma-separated input', () => {
    expect(parseIgnorePreflightErrors(['numcpu,MEM', 'swap'])).toEqual(new Set(['NumCPU', 'Mem', 'Swap']));
  });

  it('accepts Port-<n> for any valid port, since the API server port is configurable', () => {
    expect(parseIgnorePreflightErrors(['port-7443'])).toEqual(new Set(['Port-7443']));
  });

  it("returns 'all' for all", () => {
    expect(parseIgnorePreflightErrors(['All'])).toBe('all');
  });

  it("rejects 'all' combined with individual checks, as kubeadm does", () => {
    const err = thrown(() => parseIgnorePreflightErrors(['all', 'NumCPU']));
    expect(err.code).toBe('KF_PREFLIGHT_IGNORE_ALL');
    expect(err.message).toContain("don't specify individual checks if 'all' is used");
    expect(err.exitCode).toBe(ExitCode.Validation);
  });

  it('rejects an unknown name, naming it and listing the known ones', () => {
    const err = thrown(() => parseIgnorePreflightErrors(['NumCPUs']));
    expect(err.code).toBe('KF_PREFLIGHT_UNKNOWN_CHECK');
    expect(err.exitCode).toBe(ExitCode.Validation);
    expect(err.message).toContain('"NumCPUs"');
    expect(err.hint).toContain('NumCPU');
    expect(err.hint).toContain('SystemVerification');
    expect(() => parseIgnorePreflightErrors(['Port-70000'])).toThrow(/unknown pre-flight check "Port-70000"/);
  });

  it('checks against the names a command passes, e.g. a relocated etcd data dir', () => {
    expect(parseIgnorePreflightErrors(['DirAvailable--data-etcd'], ['DirAvailable--data-etcd'])).toEqual(new Set(['DirAvailable--data-etcd']));
  });
});
