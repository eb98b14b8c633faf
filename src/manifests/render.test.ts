import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { defaultInitConfig } from '../config/defaults.js';
import type { InitConfig } from '../config/types.js';
import { isKubeforgeError } from '../errors.js';
import { renderStaticPod, renderStaticPods } from './render.js';
import type { Container, StaticPodComponent } from './pod.js';

function config(advertiseAddress = '10.0.0.5'): InitConfig {
  return defaultInitConfig('node1', advertiseAddress);
}

function container(cfg: InitConfig, component: StaticPodComponent): Container {
  const c = renderStaticPod(cfg, component).pod.spec.containers[0];
  if (!c) throw new Error('no container');
  return c;
}

function flags(cfg: InitConfig, component: StaticPodComponent): string[] {
  return container(cfg, component).command;
}

describe('renderStaticPods', () => {
  it('renders etcd, kube-apiserver, kube-controller-manager and kube-scheduler at their manifest paths', () => {
    const manifests = renderStaticPods(config());
    expect(manifests.map((m) => [m.component, m.path])).toEqual([
      ['etcd', '/etc/kubernetes/manifests/etcd.yaml'],
      ['kube-apiserver', '/etc/kubernetes/manifests/kube-apiserver.yaml'],
      ['kube-controller-manager', '/etc/kubernetes/manifests/kube-controller-manager.yaml'],
      ['kube-scheduler', '/etc/kubernetes/manifests/kube-scheduler.yaml'],
    ]);
  });

  it('gives every pod kubeadm\'s metadata and pod-level fields', () => {
    for (const { component, pod } of renderStaticPods(config())) {
      expect(pod.apiVersion).toBe('v1');
      expect(pod.kind).toBe('Pod');
      expect(pod.metadata).toMatchObject({ name: component, namespace: 'kube-system', labels: { component, tier: 'control-plane' }, creationTimestamp: null });
      expect(pod.spec).toMatchObject({
        hostNetwork: true,
        priority: 2000001000,
        priorityClassName: 'system-node-critical',
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      });
      expect(pod.status).toEqual({});
      expect(pod.spec.containers).toHaveLength(1);
      expect(pod.spec.containers[0]?.name).toBe(component);
      expect(pod.spec.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    }
  });

  it('serialises the same config to the same bytes, with keys in kubeadm\'s (sorted) order', () => {
    const first = renderStaticPods(config()).map((m) => m.yaml);
    const second = renderStaticPods(config()).map((m) => m.yaml);
    expect(second).toEqual(first);
    const apiserver = first[1] ?? '';
    expect(apiserver.startsWith('apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n')).toBe(true);
    expect(apiserver.endsWith('status: {}\n')).toBe(true);
    expect(apiserver).toContain('\n  containers:\n  - command:\n    - kube-apiserver\n    - --advertise-address=10.0.0.5\n');
  });

  it('writes YAML that parses back to exactly the pod object', () => {
    for (const m of renderStaticPods(config())) expect(yaml.load(m.yaml)).toEqual(m.pod);
  });

  it('leaves etcd out when etcd is external', () => {
    const cfg = config();
    cfg.cluster.etcd = { external: { endpoints: ['https://etcd.example:2379'], caFile: '', certFile: '', keyFile: '' } };
    expect(renderStaticPods(cfg).map((m) => m.component)).toEqual(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
    expect(() => renderStaticPod(cfg, 'etcd')).toThrow(expect.objectContaining({ code: 'KF_MANIFEST_EXTERNAL_ETCD' }));
  });

  it('rejects an unknown component with a validation error', () => {
    let error: unknown;
    try {
      renderStaticPod(config(), 'kube-proxy' as StaticPodComponent);
    } catch (err) {
      error = err;
    }
    expect(isKubeforgeError(error) && error.code === 'KF_MANIFEST_COMPONENT' && error.exitCode === 3).toBe(true);
  });
});

describe('kube-apiserver', () => {
  it('carries every kubeadm flag with its value for the default config, plus the CIS defaults', () => {
    expect(flags(config(), 'kube-apiserver')).toEqual([
      'kube-apiserver',
      '--advertise-address=10.0.0.5',
      '--allow-privileged=true',
      '--audit-log-maxage=30',
      '--audit-log-maxbackup=10',
      '--audit-log-maxsize=100',
      '--audit-log-path=/var/log/kubernetes/audit/audit.log',
      '--audit-policy-file=/etc/kubernetes/audit-policy.yaml',
      '--authorization-mode=Node,RBAC',
      '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      '--enable-admission-plugins=NodeRestriction',
      '--enable-bootstrap-token-auth=true',
      '--encryption-provider-config=/etc/kubernetes/pki/encryption-config.yaml',
      '--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt',
      '--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt',
      '--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key',
      '--etcd-servers=https://127.0.0.1:2379',
      '--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt',
      '--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key',
      '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
      '--profiling=false',
      '--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt',
      '--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key',
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      '--secure-port=6443',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-account-key-file=/etc/kubernetes/pki/sa.pub',
      '--service-account-signing-key-file=/etc/kubernetes/pki/sa.key',
      '--service-cluster-ip-range=10.96.0.0/12',
      '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
      '--tls-private-key-file=/etc/kubernetes/pki/apiserver.key',
    ]);
  });

  it('uses the image, annotation, requests and probes kubeadm sets', () => {
    const cfg = config();
    const { pod } = renderStaticPod(cfg, 'kube-apiserver');
    const c = pod.spec.containers[0];
    expect(pod.metadata.annotations).toEqual({ 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': '10.0.0.5:6443' });
    expect(c?.image).toBe('registry.k8s.io/kube-apiserver:v1.32.0');
    expect(c?.resources).toEqual({ requests: { cpu: '250m' } });
    const httpGet = { host: '10.0.0.5', port: 6443, scheme: 'HTTPS' };
    expect(c?.livenessProbe).toEqual({ failureThreshold: 8, httpGet: { ...httpGet, path: '/livez' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15 });
    expect(c?.readinessProbe).toEqual({ failureThreshold: 3, httpGet: { ...httpGet, path: '/readyz' }, periodSeconds: 1, timeoutSeconds: 15 });
    expect(c?.startupProbe).toEqual({ failureThreshold: 24, httpGet: { ...httpGet, path: '/livez' }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15 });
  });

  it('follows the bind port, service subnet, DNS domain, certificates dir, image repository and version', () => {
    const cfg = config();
    cfg.init.localAPIEndpoint.bindPort = 7443;
    cfg.cluster.networking.serviceSubnet = '10.200.0.0/16';
    cfg.cluster.networking.dnsDomain = 'corp.example';
    cfg.cluster.certificatesDir = '/srv/pki';
    cfg.cluster.imageRepository = 'mirror.example/k8s';
    cfg.cluster.kubernetesVersion = 'v1.32.1+custom';
    const c = container(cfg, 'kube-apiserver');
    expect(c.command).toEqual(
      expect.arrayContaining([
        '--secure-port=7443',
        '--service-cluster-ip-range=10.200.0.0/16',
        '--service-account-issuer=https://kubernetes.default.svc.corp.example',
        '--client-ca-file=/srv/pki/ca.crt',
        '--etcd-cafile=/srv/pki/etcd/ca.crt',
      ]),
    );
    expect(c.image).toBe('mirror.example/k8s/kube-apiserver:v1.32.1_custom');
    expect(c.livenessProbe.httpGet.port).toBe(7443);
    expect(c.volumeMounts).toContainEqual({ mountPath: '/srv/pki', name: 'k8s-certs', readOnly: true });
  });

  it('keeps the local advertise address in flags, annotation and probes when controlPlaneEndpoint names a load balancer', () => {
    const cfg = config();
    cfg.cluster.controlPlaneEndpoint = 'lb.example:8443';
    const { pod } = renderStaticPod(cfg, 'kube-apiserver');
    expect(pod.metadata.annotations?.['kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint']).toBe('10.0.0.5:6443');
    expect(pod.spec.containers[0]?.command).toContain('--advertise-address=10.0.0.5');
    expect(pod.spec.containers[0]?.command.join(' ')).not.toContain('lb.example');
    expect(renderStaticPod(cfg, 'kube-apiserver').yaml).toBe(renderStaticPod(config(), 'kube-apiserver').yaml);
  });

  it('lets extraArgs override a default and add new flags, repeats included', () => {
    const cfg = config();
    cfg.cluster.apiServer.extraArgs = [
      { name: 'secure-port', value: '9443' },
      { name: 'audit-log-path', value: '/var/log/audit.log' },
      { name: 'feature-gates', value: 'B=true' },
      { name: 'feature-gates', value: 'A=false' },
    ];
    const command = flags(cfg, 'kube-apiserver');
    expect(command).toContain('--secure-port=9443');
    expect(command).not.toContain('--secure-port=6443');
    expect(command).toContain('--audit-log-path=/var/log/audit.log');
    expect(command.filter((f) => f.startsWith('--feature-gates='))).toEqual(['--feature-gates=A=false', '--feature-gates=B=true']);
    expect(command.slice(1)).toEqual([...command.slice(1)].sort());
  });

  it('drops --authorization-mode when extraArgs set --authorization-config', () => {
    const cfg = config();
    cfg.cluster.apiServer.extraArgs = [{ name: 'authorization-config', value: '/etc/kubernetes/authz.yaml' }];
    const command = flags(cfg, 'kube-apiserver');
    expect(command.some((f) => f.startsWith('--authorization-mode='))).toBe(false);
    expect(command).toContain('--authorization-config=/etc/kubernetes/authz.yaml');
  });

  it('dials the etcd advertise-client-urls the local etcd extraArgs set', () => {
    const cfg = config();
    cfg.cluster.etcd.local?.extraArgs.push({ name: 'advertise-client-urls', value: 'https://10.0.0.5:12379' });
    expect(flags(cfg, 'kube-apiserver')).toContain('--etcd-servers=https://10.0.0.5:12379');
  });

  it('points at an external etcd and mounts its certificate directories', () => {
    const cfg = config();
    cfg.cluster.etcd = {
      external: { endpoints: ['https://e1:2379', 'https://e2:2379'], caFile: '/etc/etcd/pki/ca.crt', certFile: '/etc/etcd/pki/client.crt', keyFile: '/opt/keys/client.key' },
    };
    const c = container(cfg, 'kube-apiserver');
    expect(c.command).toEqual(
      expect.arrayContaining([
        '--etcd-servers=https://e1:2379,https://e2:2379',
        '--etcd-cafile=/etc/etcd/pki/ca.crt',
        '--etcd-certfile=/etc/etcd/pki/client.crt',
        '--etcd-keyfile=/opt/keys/client.key',
      ]),
    );
    expect(c.volumeMounts.filter((m) => m.name.startsWith('etcd-certs'))).toEqual([
      { mountPath: '/etc/etcd/pki', name: 'etcd-certs-0', readOnly: true },
      { mountPath: '/opt/keys', name: 'etcd-certs-1', readOnly: true },
    ]);
  });

  it('mounts extraVolumes, replacing a default volume of the same name', () => {
    const cfg = config();
    cfg.cluster.apiServer.extraVolumes = [
      { name: 'audit', hostPath: '/var/log/kubernetes', mountPath: '/var/log/kubernetes', readOnly: false, pathType: 'DirectoryOrCreate' },
      { name: 'ca-certs', hostPath: '/opt/certs', mountPath: '/etc/ssl/certs', readOnly: true, pathType: 'Directory' },
    ];
    const { pod } = renderStaticPod(cfg, 'kube-apiserver');
    expect(pod.spec.volumes).toEqual([
      { hostPath: { path: '/var/log/kubernetes', type: 'DirectoryOrCreate' }, name: 'audit' },
      { hostPath: { path: '/var/log/kubernetes/audit', type: 'DirectoryOrCreate' }, name: 'audit-log' },
      { hostPath: { path: '/etc/kubernetes/audit-policy.yaml', type: 'File' }, name: 'audit-policy' },
      { hostPath: { path: '/opt/certs', type: 'Directory' }, name: 'ca-certs' },
      { hostPath: { path: '/etc/kubernetes/pki', type: 'DirectoryOrCreate' }, name: 'k8s-certs' },
    ]);
    expect(pod.spec.containers[0]?.volumeMounts).toEqual([
      { mountPath: '/var/log/kubernetes', name: 'audit' },
      { mountPath: '/var/log/kubernetes/audit', name: 'audit-log' },
      { mountPath: '/etc/kubernetes/audit-policy.yaml', name: 'audit-policy', readOnly: true },
      { mountPath: '/etc/ssl/certs', name: 'ca-certs', readOnly: true },
      { mountPath: '/etc/kubernetes/pki', name: 'k8s-certs', readOnly: true },
    ]);
  });

  it('mounts the host CA directories the caller found, named after their paths', () => {
    const c = renderStaticPod(config(), 'kube-apiserver', { caCertDirs: ['/etc/pki/ca-trust', '/usr/share/ca-certificates'] }).pod.spec.containers[0];
    expect(c?.volumeMounts.map((m) => m.name)).toEqual(['audit-log', 'audit-policy', 'ca-certs', 'etc-pki-ca-trust', 'k8s-certs', 'usr-share-ca-certificates']);
  });

  it('passes *_proxy variables and extraEnvs, the latter winning, sorted by name', () => {
    const cfg = config();
    cfg.cluster.apiServer.extraEnvs = [{ name: 'HTTPS_PROXY', value: 'http://override:3128' }, { name: 'GOGC', value: '50' }];
    const c = renderStaticPod(cfg, 'kube-apiserver', { proxyEnv: { HTTPS_PROXY: 'http://proxy:3128', no_proxy: '10.0.0.0/8', PATH: '/bin', FTP_PROXY: '' } }).pod.spec.containers[0];
    expect(c?.env).toEqual([
      { name: 'GOGC', value: '50' },
      { name: 'HTTPS_PROXY', value: 'http://override:3128' },
      { name: 'no_proxy', value: '10.0.0.0/8' },
    ]);
    expect(container(config(), 'kube-apiserver').env).toBeUndefined();
  });
});

describe('kube-controller-manager', () => {
  it('carries every kubeadm flag for a config without a pod subnet', () => {
    expect(flags(config(), 'kube-controller-manager')).toEqual([
      'kube-controller-manager',
      '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--bind-address=127.0.0.1',
      '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      '--cluster-name=kubernetes',
      '--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt',
      '--cluster-signing-key-file=/etc/kubernetes/pki/ca.key',
      '--controllers=*,bootstrapsigner,tokencleaner',
      '--kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--leader-elect=true',
      '--profiling=false',
      '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt',
      '--root-ca-file=/etc/kubernetes/pki/ca.crt',
      '--service-account-private-key-file=/etc/kubernetes/pki/sa.key',
      '--use-service-account-credentials=true',
    ]);
  });

  it('allocates node CIDRs from the pod subnet and passes the service range with it', () => {
    const cfg = config();
    cfg.cluster.networking.podSubnet = '10.244.0.0/16';
    expect(flags(cfg, 'kube-controller-manager')).toEqual(
      expect.arrayContaining(['--allocate-node-cidrs=true', '--cluster-cidr=10.244.0.0/16', '--service-cluster-ip-range=10.96.0.0/12']),
    );
  });

  it('follows the cluster name and empties the signing files for an external CA', () => {
    const cfg = config();
    cfg.cluster.clusterName = 'prod';
    const command = renderStaticPod(cfg, 'kube-controller-manager', { externalCA: true }).pod.spec.containers[0]?.command;
    expect(command).toEqual(expect.arrayContaining(['--cluster-name=prod', '--cluster-signing-cert-file=', '--cluster-signing-key-file=']));
  });

  it('uses kubeadm\'s image, requests, probes and volumes', () => {
    const c = container(config(), 'kube-controller-manager');
    expect(c.image).toBe('registry.k8s.io/kube-controller-manager:v1.32.0');
    expect(c.resources).toEqual({ requests: { cpu: '200m' } });
    expect(c.readinessProbe).toBeUndefined();
    expect(c.livenessProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/healthz', port: 10257, scheme: 'HTTPS' });
    expect(c.startupProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/healthz', port: 10257, scheme: 'HTTPS' });
    expect(c.volumeMounts).toEqual([
      { mountPath: '/etc/ssl/certs', name: 'ca-certs', readOnly: true },
      { mountPath: '/usr/libexec/kubernetes/kubelet-plugins/volume/exec', name: 'flexvolume-dir' },
      { mountPath: '/etc/kubernetes/pki', name: 'k8s-certs', readOnly: true },
      { mountPath: '/etc/kubernetes/controller-manager.conf', name: 'kubeconfig', readOnly: true },
    ]);
    const volumes = renderStaticPod(config(), 'kube-controller-manager').pod.spec.volumes;
    expect(volumes.find((v) => v.name === 'kubeconfig')?.hostPath).toEqual({ path: '/etc/kubernetes/controller-manager.conf', type: 'FileOrCreate' });
  });

  it('probes the bind address extraArgs set, and leaves the host empty for the wildcard', () => {
    const cfg = config();
    cfg.cluster.controllerManager.extraArgs = [{ name: 'bind-address', value: '10.0.0.5' }];
    expect(container(cfg, 'kube-controller-manager').livenessProbe.httpGet.host).toBe('10.0.0.5');
    cfg.cluster.controllerManager.extraArgs = [{ name: 'bind-address', value: '0.0.0.0' }];
    expect(container(cfg, 'kube-controller-manager').livenessProbe.httpGet).toEqual({ path: '/healthz', port: 10257, scheme: 'HTTPS' });
  });

  it('mounts the flexvolume directory extraArgs name', () => {
    const cfg = config();
    cfg.cluster.controllerManager.extraArgs = [{ name: 'flex-volume-plugin-dir', value: '/opt/flex' }];
    expect(container(cfg, 'kube-controller-manager').volumeMounts).toContainEqual({ mountPath: '/opt/flex', name: 'flexvolume-dir' });
  });
});

describe('kube-scheduler', () => {
  it('carries every kubeadm flag, image, requests, probes and its kubeconfig volume', () => {
    const c = container(config(), 'kube-scheduler');
    expect(c.command).toEqual([
      'kube-scheduler',
      '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--bind-address=127.0.0.1',
      '--kubeconfig=/etc/kubernetes/scheduler.conf',
      '--leader-elect=true',
      '--profiling=false',
    ]);
    expect(c.image).toBe('registry.k8s.io/kube-scheduler:v1.32.0');
    expect(c.resources).toEqual({ requests: { cpu: '100m' } });
    expect(c.livenessProbe.httpGet).toEqual({ host: '127.0.0.1', path: '/healthz', port: 10259, scheme: 'HTTPS' });
    expect(c.volumeMounts).toEqual([{ mountPath: '/etc/kubernetes/scheduler.conf', name: 'kubeconfig', readOnly: true }]);
  });

  it('lets extraArgs turn leader election off', () => {
    const cfg = config();
    cfg.cluster.scheduler.extraArgs = [{ name: 'leader-elect', value: 'false' }];
    expect(flags(cfg, 'kube-scheduler')).toContain('--leader-elect=false');
    expect(flags(cfg, 'kube-scheduler')).not.toContain('--leader-elect=true');
  });
});

describe('CIS defaults', () => {
  it('mounts the audit policy and log directory where extraArgs move them, and none when audit is off', () => {
    const cfg = config();
    cfg.cluster.apiServer.extraArgs = [{ name: 'audit-policy-file', value: '/srv/policy.yaml' }, { name: 'audit-log-path', value: '/srv/logs/a.log' }];
    const moved = renderStaticPod(cfg, 'kube-apiserver').pod.spec.volumes.filter((v) => v.name.startsWith('audit'));
    expect(moved).toEqual([
      { hostPath: { path: '/srv/logs', type: 'DirectoryOrCreate' }, name: 'audit-log' },
      { hostPath: { path: '/srv/policy.yaml', type: 'File' }, name: 'audit-policy' },
    ]);
    cfg.cluster.apiServer.extraArgs = [{ name: 'audit-policy-file', value: '' }, { name: 'audit-log-path', value: '-' }];
    expect(renderStaticPod(cfg, 'kube-apiserver').pod.spec.volumes.filter((v) => v.name.startsWith('audit'))).toEqual([]);
  });

  it('lets extraArgs turn profiling back on, as any kubeadm default', () => {
    const cfg = config();
    cfg.cluster.scheduler.extraArgs = [{ name: 'profiling', value: 'true' }];
    expect(flags(cfg, 'kube-scheduler')).toContain('--profiling=true');
    expect(flags(cfg, 'kube-scheduler')).not.toContain('--profiling=false');
  });
});
