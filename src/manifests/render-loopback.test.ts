import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { defaultInitConfig } from '../config/defaults.js';
import type { InitConfig } from '../config/types.js';
import { goDurationSeconds, renderStaticPod, renderStaticPods, type StaticPodOptions } from './render.js';
import type { Container, Pod, StaticPodComponent } from './pod.js';

/** The one container of each rendered pod, by component. */
function containers(cfg: InitConfig, options: StaticPodOptions = {}): Record<StaticPodComponent, Container> {
  const byComponent: Partial<Record<StaticPodComponent, Container>> = {};
  for (const m of renderStaticPods(cfg, options)) byComponent[m.component] = m.pod.spec.containers[0];
  return byComponent as Record<StaticPodComponent, Container>;
}

const config = (advertiseAddress = '10.0.0.5'): InitConfig => defaultInitConfig('node1', advertiseAddress);

describe('etcd', () => {
  it('carries every kubeadm flag for a new single-member cluster', () => {
    expect(containers(config())['etcd'].command).toEqual([
      'etcd',
      '--advertise-client-urls=https://10.0.0.5:2379',
      '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
      '--client-cert-auth=true',
      '--data-dir=/var/lib/etcd',
      '--experimental-initial-corrupt-check=true',
      '--experimental-watch-progress-notify-interval=5s',
      '--initial-advertise-peer-urls=https://10.0.0.5:2380',
      '--initial-cluster=node1=https://10.0.0.5:2380',
      '--key-file=/etc/kubernetes/pki/etcd/server.key',
      '--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.5:2379',
      '--listen-metrics-urls=http://127.0.0.1:2381',
      '--listen-peer-urls=https://10.0.0.5:2380',
      '--name=node1',
      '--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt',
      '--peer-client-cert-auth=true',
      '--peer-key-file=/etc/kubernetes/pki/etcd/peer.key',
      '--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
      '--snapshot-count=10000',
      '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
    ]);
  });

  it('uses kubeadm\'s annotation, image, requests, probes and volumes', () => {
    const { pod } = renderStaticPod(config(), 'etcd');
    const c = pod.spec.containers[0];
    expect(pod.metadata.annotations).toEqual({ 'kubeadm.kubernetes.io/etcd.advertise-client-urls': 'https://10.0.0.5:2379' });
    expect(c?.image).toBe('registry.k8s.io/etcd:3.5.16-0');
    expect(c?.resources).toEqual({ requests: { cpu: '100m', memory: '100Mi' } });
    const httpGet = { host: '127.0.0.1', port: 2381, scheme: 'HTTP' };
    // kubeadm 1.30's /health paths: the etcd 3.4 Debian ships has no /livez or /readyz
    expect(c?.livenessProbe.httpGet).toEqual({ ...httpGet, path: '/health?exclude=NOSPACE&serializable=true' });
    expect(c?.readinessProbe?.httpGet).toEqual({ ...httpGet, path: '/health?serializable=false' });
    expect(c?.startupProbe.httpGet).toEqual({ ...httpGet, path: '/health?exclude=NOSPACE&serializable=true' });
    expect(c?.volumeMounts).toEqual([
      { mountPath: '/var/lib/etcd', name: 'etcd-data' },
      { mountPath: '/etc/kubernetes/pki/etcd', name: 'etcd-certs' },
    ]);
    expect(pod.spec.volumes).toEqual([
      { hostPath: { path: '/etc/kubernetes/pki/etcd', type: 'DirectoryOrCreate' }, name: 'etcd-certs' },
      { hostPath: { path: '/var/lib/etcd', type: 'DirectoryOrCreate' }, name: 'etcd-data' },
    ]);
    expect(c?.env).toBeUndefined();
  });

  it('joins an existing cluster with the given members', () => {
    const members = [
      { name: 'node0', peerURL: 'https://10.0.0.4:2380' },
      { name: 'node1', peerURL: 'https://10.0.0.5:2380' },
    ];
    const command = renderStaticPod(config(), 'etcd', { etcdInitialCluster: members }).pod.spec.containers[0]?.command;
    expect(command).toEqual(expect.arrayContaining(['--initial-cluster=node0=https://10.0.0.4:2380,node1=https://10.0.0.5:2380', '--initial-cluster-state=existing']));
  });

  it('follows the data dir, image repository and tag, and probes the metrics URL extraArgs set', () => {
    const cfg = config();
    const local = cfg.cluster.etcd.local;
    if (!local) throw new Error('local etcd expected');
    local.dataDir = '/data/etcd';
    local.imageRepository = 'mirror.example';
    local.imageTag = '3.5.15-0';
    local.extraArgs = [{ name: 'listen-metrics-urls', value: 'https://10.0.0.5:12381,http://127.0.0.1:2381' }];
    local.extraEnvs = [{ name: 'ETCD_QUOTA_BACKEND_BYTES', value: '8589934592' }];
    const c = containers(cfg)['etcd'];
    expect(c.command).toEqual(expect.arrayContaining(['--data-dir=/data/etcd', '--listen-metrics-urls=https://10.0.0.5:12381,http://127.0.0.1:2381']));
    expect(c.image).toBe('mirror.example/etcd:3.5.15-0');
    expect(c.livenessProbe.httpGet).toEqual({ host: '10.0.0.5', path: '/health?exclude=NOSPACE&serializable=true', port: 12381, scheme: 'HTTPS' });
    expect(c.volumeMounts[0]).toEqual({ mountPath: '/data/etcd', name: 'etcd-data' });
    expect(c.env).toEqual([{ name: 'ETCD_QUOTA_BACKEND_BYTES', value: '8589934592' }]);
  });

  it('uses the cluster image repository and the release\'s etcd tag when the local etcd names none', () => {
    const cfg = config();
    cfg.cluster.imageRepository = 'mirror.example';
    if (cfg.cluster.etcd.local) Object.assign(cfg.cluster.etcd.local, { imageRepository: '', imageTag: '' });
    expect(containers(cfg)['etcd'].image).toBe('mirror.example/etcd:3.5.16-0');
  });
});

describe('the loopback rule in rendered manifests', () => {
  type Case = [string, { etcdListen: string; metrics: string; etcdServers: string; bind: string; probe: string; apiBind: string | undefined }];
  const cases: Case[] = [
    [
      '10.0.0.5',
      { etcdListen: 'https://127.0.0.1:2379,https://10.0.0.5:2379', metrics: 'http://127.0.0.1:2381', etcdServers: 'https://127.0.0.1:2379', bind: '127.0.0.1', probe: '127.0.0.1', apiBind: undefined },
    ],
    [
      '127.0.0.1',
      { etcdListen: 'https://127.0.0.1:2379', metrics: 'http://127.0.0.1:2381', etcdServers: 'https://127.0.0.1:2379', bind: '127.0.0.1', probe: '127.0.0.1', apiBind: '127.0.0.1' },
    ],
    [
      '127.0.0.2',
      { etcdListen: 'https://127.0.0.2:2379', metrics: 'http://127.0.0.2:2381', etcdServers: 'https://127.0.0.2:2379', bind: '127.0.0.2', probe: '127.0.0.2', apiBind: '127.0.0.2' },
    ],
  ];

  it.each(cases)('binds and dials the right addresses for advertise address %s', (advertise, want) => {
    const cfg = config(advertise);
    const etcd = containers(cfg)['etcd'];
    expect(etcd.command).toContain(`--listen-client-urls=${want.etcdListen}`);
    expect(etcd.command).toContain(`--listen-metrics-urls=${want.metrics}`);
    expect(etcd.command).toContain(`--listen-peer-urls=https://${advertise}:2380`);
    expect(etcd.livenessProbe.httpGet.host).toBe(want.probe);
    const api = containers(cfg)['kube-apiserver'];
    expect(api.command).toContain(`--etcd-servers=${want.etcdServers}`);
    expect(api.command.find((f) => f.startsWith('--bind-address='))).toBe(want.apiBind === undefined ? undefined : `--bind-address=${want.apiBind}`);
    expect(api.livenessProbe.httpGet.host).toBe(advertise);
    for (const component of ['kube-controller-manager', 'kube-scheduler'] as const) {
      const c = containers(cfg)[component];
      expect(c.command).toContain(`--bind-address=${want.bind}`);
      expect(c.livenessProbe.httpGet.host).toBe(want.probe);
      expect(c.startupProbe.httpGet.host).toBe(want.probe);
    }
  });

  it('gives two loopback nodes on one machine disjoint listen addresses', () => {
    const listens = (advertise: string) =>
      renderStaticPods(config(advertise))
        .flatMap((m) => m.pod.spec.containers[0]?.command ?? [])
        .filter((f) => /^--(listen-[a-z-]+urls|bind-address)=/.test(f))
        .flatMap((f) => f.slice(f.indexOf('=') + 1).split(','))
        .map((v) => v.replace(/^\w+:\/\//, '').replace(/:\d+$/, ''));
    expect(new Set(listens('127.0.0.2'))).toEqual(new Set(['127.0.0.2']));
    expect(new Set(listens('127.0.0.3'))).toEqual(new Set(['127.0.0.3']));
  });

  it('uses [::1] for a routable IPv6 advertise address, as kubeadm does', () => {
    const cfg = config('fd00::5');
    expect(containers(cfg)['etcd'].command).toContain('--listen-client-urls=https://[::1]:2379,https://[fd00::5]:2379');
    expect(containers(cfg)['kube-apiserver'].command).toContain('--etcd-servers=https://[::1]:2379');
    expect(renderStaticPod(cfg, 'kube-apiserver').pod.metadata.annotations).toEqual({
      'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': '[fd00::5]:6443',
    });
  });

  it('still lets extraArgs override a loopback default', () => {
    const cfg = config('127.0.0.2');
    cfg.cluster.scheduler.extraArgs = [{ name: 'bind-address', value: '127.0.0.9' }];
    const c = containers(cfg)['kube-scheduler'];
    expect(c.command).toContain('--bind-address=127.0.0.9');
    expect(c.livenessProbe.httpGet.host).toBe('127.0.0.9');
  });
});

describe('probes follow the control-plane health-check timeout', () => {
  it('sizes the startup failureThreshold to cover the timeout in 10 s periods', () => {
    const cfg = config();
    cfg.init.timeouts.controlPlaneComponentHealthCheck = '2m5s';
    for (const { pod } of renderStaticPods(cfg)) expect(pod.spec.containers[0]?.startupProbe.failureThreshold).toBe(13);
  });

  it('parses Go durations and rejects anything else', () => {
    expect(goDurationSeconds('4m0s')).toBe(240);
    expect(goDurationSeconds('1h30m')).toBe(5400);
    expect(goDurationSeconds('1500ms')).toBe(1.5);
    expect(() => goDurationSeconds('4 minutes')).toThrow(expect.objectContaining({ code: 'KF_MANIFEST_DURATION' }));
  });
});

describe('pod YAML', () => {
  it('writes command flags as plain scalars and quotes only what needs it', () => {
    const cfg = config();
    cfg.cluster.apiServer.extraArgs = [{ name: 'audit-policy-file', value: 'a b: c' }];
    const text = renderStaticPod(cfg, 'kube-apiserver').yaml;
    expect(text).toContain('\n    - --allow-privileged=true\n');
    expect(text).toContain('\n    - "--audit-policy-file=a b: c"\n');
    expect((yaml.load(text) as Pod).spec.containers[0]?.command).toContain('--audit-policy-file=a b: c');
  });
});
