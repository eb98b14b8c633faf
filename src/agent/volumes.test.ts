import { describe, expect, it } from 'vitest';
import type { Container, Volume } from './pod.js';
import { directoriesToCreate, pathMappings, rewriteVolumePaths } from './volumes.js';

const volumes: Volume[] = [
  { name: 'k8s-certs', hostPath: { path: '/etc/kubernetes/pki', type: 'DirectoryOrCreate' } },
  { name: 'kubeconfig', hostPath: { path: '/etc/kubernetes/scheduler.conf', type: 'FileOrCreate' } },
  { name: 'etcd-certs', hostPath: { path: '/srv/etcd-pki' } },
  { name: 'scratch', emptyDir: {} },
];

const container: Container = {
  name: 'c',
  image: 'registry.k8s.io/kube-apiserver:v1.32.0',
  volumeMounts: [
    { name: 'k8s-certs', mountPath: '/etc/kubernetes/pki', readOnly: true },
    { name: 'etcd-certs', mountPath: '/etc/kubernetes/pki/etcd' },
    { name: 'kubeconfig', mountPath: '/etc/kubernetes/scheduler.conf' },
    { name: 'scratch', mountPath: '/tmp/scratch' },
  ],
};

describe('volume path rewriting', () => {
  const mappings = pathMappings('/r', container, volumes);

  it('maps a --flag=path under a mountPath to the hostPath under the root', () => {
    expect(rewriteVolumePaths('--tls-cert-file=/etc/kubernetes/pki/apiserver.crt', mappings)).toBe('--tls-cert-file=/r/etc/kubernetes/pki/apiserver.crt');
  });

  it('maps a mount of a single file and a bare path value', () => {
    expect(rewriteVolumePaths('--kubeconfig=/etc/kubernetes/scheduler.conf', mappings)).toBe('--kubeconfig=/r/etc/kubernetes/scheduler.conf');
    expect(rewriteVolumePaths('/etc/kubernetes/pki', mappings)).toBe('/r/etc/kubernetes/pki');
  });

  it('lets the longest (nested) mountPath win', () => {
    expect(rewriteVolumePaths('--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt', mappings)).toBe('--etcd-cafile=/r/srv/etcd-pki/ca.crt');
  });

  it('rewrites each element of a comma-separated list', () => {
    expect(rewriteVolumePaths('--files=/etc/kubernetes/pki/a,/elsewhere/b', mappings)).toBe('--files=/r/etc/kubernetes/pki/a,/elsewhere/b');
  });

  it('leaves URLs, paths outside every mount, prefixes that are not path segments, and non-hostPath volumes alone', () => {
    for (const value of [
      '--etcd-servers=https://127.0.0.1:2379',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--audit-log-path=/var/log/audit.log',
      '--x=/etc/kubernetes/pkiX/ca.crt',
      '/tmp/scratch/file',
      'relative/etc/kubernetes/pki',
      '--secure-port=6443',
    ]) {
      expect(rewriteVolumePaths(value, mappings)).toBe(value);
    }
  });

  it('honours subPath', () => {
    const m = pathMappings('/r', { ...container, volumeMounts: [{ name: 'k8s-certs', mountPath: '/certs', subPath: 'etcd' }] }, volumes);
    expect(rewriteVolumePaths('--ca=/certs/ca.crt', m)).toBe('--ca=/r/etc/kubernetes/pki/etcd/ca.crt');
  });

  it('maps nothing under root / (a real node)', () => {
    const real = pathMappings('/', container, volumes);
    expect(rewriteVolumePaths('--tls-cert-file=/etc/kubernetes/pki/apiserver.crt', real)).toBe('--tls-cert-file=/etc/kubernetes/pki/apiserver.crt');
  });

  it('creates only DirectoryOrCreate hostPaths', () => {
    expect(directoriesToCreate(volumes)).toEqual(['/etc/kubernetes/pki']);
  });
});
