import { afterEach, describe, expect, it } from 'vitest';
import { cleanupFakeHosts, fakeHost, runCheck, type TestHost } from '../../../test/helpers/fake-host.js';
import { dirAvailableCheck, fileAvailableCheck, fileExistingCheck, ipv4ForwardCheck, ipv6ForwardCheck } from './files.js';

let host: TestHost;
afterEach(cleanupFakeHosts);

const MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';

describe('FileAvailable', () => {
  it('is named as kubeadm names it', () => {
    expect(fileAvailableCheck(MANIFEST).name).toBe('FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml');
  });

  it('passes when the file does not exist under the root', async () => {
    host = fakeHost();
    expect((await runCheck(fileAvailableCheck(MANIFEST), host)).errors).toEqual([]);
  });

  it('fails when the file exists, naming its real path under the root', async () => {
    host = fakeHost();
    await host.files.writeFile(MANIFEST, 'kind: Pod\n');
    expect((await runCheck(fileAvailableCheck(MANIFEST), host)).errors).toEqual([`${host.files.resolve(MANIFEST)} already exists`]);
  });
});

describe('DirAvailable', () => {
  it('is named DirAvailable--var-lib-etcd', () => {
    expect(dirAvailableCheck('/var/lib/etcd').name).toBe('DirAvailable--var-lib-etcd');
  });

  it('passes when the directory is missing or empty', async () => {
    host = fakeHost();
    expect((await runCheck(dirAvailableCheck('/var/lib/etcd'), host)).errors).toEqual([]);
    await host.files.mkdir('/var/lib/etcd');
    expect((await runCheck(dirAvailableCheck('/var/lib/etcd'), host)).errors).toEqual([]);
  });

  it('fails when the directory has anything in it', async () => {
    host = fakeHost();
    await host.files.writeFile('/var/lib/etcd/member/snap/db', 'x');
    expect((await runCheck(dirAvailableCheck('/var/lib/etcd'), host)).errors).toEqual([`${host.files.resolve('/var/lib/etcd')} is not empty`]);
  });
});

describe('FileExisting (external etcd certificates)', () => {
  it('passes when the file exists and fails when it does not', async () => {
    host = fakeHost();
    const check = fileExistingCheck('/etc/etcd/ca.crt', 'ExternalEtcdClientCertificates');
    expect(check.name).toBe('ExternalEtcdClientCertificates');
    expect((await runCheck(check, host)).errors).toEqual([`${host.files.resolve('/etc/etcd/ca.crt')} doesn't exist`]);
    await host.files.writeFile('/etc/etcd/ca.crt', 'pem');
    expect((await runCheck(check, host)).errors).toEqual([]);
  });
});

describe('FileContent--proc-sys-net-ipv4-ip_forward', () => {
  it('is named as kubeadm names it', () => {
    expect(ipv4ForwardCheck().name).toBe('FileContent--proc-sys-net-ipv4-ip_forward');
    expect(ipv6ForwardCheck().name).toBe('FileContent--proc-sys-net-ipv6-conf-default-forwarding');
  });

  it('passes when forwarding is 1', async () => {
    host = fakeHost();
    expect((await runCheck(ipv4ForwardCheck(), host)).errors).toEqual([]);
  });

  it('fails when forwarding is 0', async () => {
    host = fakeHost();
    host.system.state.files.set('/proc/sys/net/ipv4/ip_forward', '0\n');
    expect((await runCheck(ipv4ForwardCheck(), host)).errors).toEqual(['/proc/sys/net/ipv4/ip_forward contents are not set to 1']);
  });

  it('reads the real /proc path, not one under the root', async () => {
    host = fakeHost();
    host.system.state.files.delete('/proc/sys/net/ipv4/ip_forward');
    await host.files.writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
    expect((await runCheck(ipv4ForwardCheck(), host)).errors).toEqual(['/proc/sys/net/ipv4/ip_forward does not exist']);
  });
});
