import { afterEach, describe, expect, it } from 'vitest';
import { defaultInitConfig } from '../../config/defaults.js';
import { createHost } from '../../host/index.js';
import { renderStaticPod } from '../../manifests/index.js';
import { createMemoryLogger } from '../../log.js';
import { freePort, httpsGet, nodeRoot, type NodeRoot } from '../common/component-fixtures.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi } from '../common/testing.js';
import type { Lease } from '../common/leaderelection.js';
import type { ConfigMap } from './bootstrapsigner.js';
import { CONTROLLERS, isControllerEnabled, runControllerManager, type Running } from './index.js';
import { tokenSecret } from './testing.js';

const KUBECONFIG = 'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EK\n    server: https://127.0.0.2:6443\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n';

describe('--controllers selection (upstream IsControllerEnabled)', () => {
  const enabled = (...selection: string[]) => CONTROLLERS.filter((r) => isControllerEnabled(r, selection)).map((r) => r.name);
  it('turns on the defaults with * and leaves bootstrapsigner and tokencleaner off', () => {
    expect(enabled('*')).toEqual(['csrapproving', 'csrsigning', 'nodelifecycle', 'nodeipam', 'serviceaccount', 'root-ca-cert-publisher', 'namespace', 'deployment', 'replicaset', 'garbagecollector']);
  });
  it('adds bootstrapsigner and tokencleaner as kubeadm\'s manifest asks', () => {
    expect(enabled('*', 'bootstrapsigner', 'tokencleaner')).toEqual(CONTROLLERS.map((r) => r.name));
  });
  it('disables a controller with -name, also by its newer alias', () => {
    expect(enabled('*', '-csrsigning')).not.toContain('csrsigning');
    expect(enabled('*', '-node-lifecycle-controller')).not.toContain('nodelifecycle');
  });
  it('runs only the named controllers without *', () => {
    expect(enabled('tokencleaner')).toEqual(['tokencleaner']);
  });
});

describe('runControllerManager (FakeApi as the API, real files, real HTTPS)', () => {
  let root: NodeRoot;
  const running: Running[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    root?.cleanup();
  });

  /** The controller manager's command line exactly as our static-pod manifest renders it, on a free port. */
  const kubeadmArgs = (port: number, extra: string[] = []) => [
    ...renderStaticPod(defaultInitConfig('cp1', '127.0.0.1'), 'kube-controller-manager').pod.spec.containers[0]!.command.slice(1).filter((a) => !a.startsWith('--secure-port')),
    `--secure-port=${port}`,
    ...extra,
  ];

  async function start(api: FakeApi, args: string[], identity = 'cp1') {
    const log = createMemoryLogger(2);
    const r = await runControllerManager(args, { files: createHost(root.root).files, client: () => api, log, identity });
    running.push(r);
    return { r, log };
  }

  it('takes kubeadm\'s manifest flags, serves /healthz over HTTPS, leads and runs bootstrapsigner', async () => {
    root = await nodeRoot();
    // The signing CA: reuse the fixture's CA certificate with a key made for it.
    const { selfSignedServingCertificate } = await import('../../pki/index.js');
    const tls = await selfSignedServingCertificate('kubernetes', {}, new Date());
    const ca = { cert: tls.certPem, key: tls.keyPem };
    const files = createHost(root.root).files;
    await files.writeFile('/etc/kubernetes/pki/ca.crt', ca.cert.split(/(?<=-----END CERTIFICATE-----\n)/)[0]!);
    await files.writeFile('/etc/kubernetes/pki/ca.key', ca.key, { mode: 0o600 });
    const api = new FakeApi();
    api.put(ref('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig: KUBECONFIG } });
    const port = await freePort();
    const { r } = await start(api, kubeadmArgs(port));
    expect(r.address).toEqual({ host: '127.0.0.1', port });
    const health = await httpsGet('127.0.0.1', port, '/healthz');
    expect(health).toMatchObject({ status: 200, body: 'ok' });
    expect(health.cert.subject?.CN).toMatch(/^127\.0\.0\.1@\d+$/);
    await eventually(() => r.isLeader());
    expect(api.find<Lease>(ref('leases'), 'kube-system', 'kube-controller-manager')?.spec.holderIdentity).toBe('cp1');
    api.put(ref('secrets'), tokenSecret('abcdef.0123456789abcdef'));
    await eventually(() => api.find<ConfigMap>(ref('configmaps'), 'kube-public', 'cluster-info')?.data?.['jws-kubeconfig-abcdef'] === 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..mG1tGx9diEJgwUcubkNZjlAJJ0PoGk6dbX2UJpTzeEo');
    expect((await httpsGet('127.0.0.1', port, '/healthz?verbose')).body).toBe('[+]ping ok\n[+]leaderElection ok\nhealthz check passed\n');
    const metrics = (await httpsGet('127.0.0.1', port, '/metrics')).body;
    expect(metrics).toContain('workqueue_adds_total{name="bootstrap_signer_queue"}');
    expect(metrics).toContain('leader_election_master_status{name="kube-controller-manager"} 1');
    await r.stop();
    await expect(httpsGet('127.0.0.1', port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('lets a second candidate lead only after the first stops and its Lease expires', async () => {
    root = await nodeRoot();
    const api = new FakeApi();
    const fast = ['--leader-elect-lease-duration=2s', '--leader-elect-renew-deadline=1s', '--leader-elect-retry-period=100ms', '--controllers=tokencleaner', '--secure-port=0', '--kubeconfig=/etc/kubernetes/controller-manager.conf'];
    const a = (await start(api, fast, 'cp1')).r;
    await eventually(() => a.isLeader());
    const b = (await start(api, fast, 'cp2')).r;
    await new Promise((res) => setTimeout(res, 300));
    expect(b.isLeader()).toBe(false);
    await a.stop();
    await eventually(() => b.isLeader(), 8000, 'the second candidate to lead');
    expect(api.find<Lease>(ref('leases'), 'kube-system', 'kube-controller-manager')?.spec).toMatchObject({ holderIdentity: 'cp2', leaseTransitions: 1 });
  });

  it('acts as each controller\'s ServiceAccount with --use-service-account-credentials (TokenRequest), and falls back with a warning', async () => {
    root = await nodeRoot();
    const api = new FakeApi();
    api.put(ref('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig: KUBECONFIG } });
    api.on('POST', /\/serviceaccounts\/bootstrap-signer\/token$/, () => ({ status: { token: 'sa-token-bootstrap-signer', expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString() } }));
    const configs: Array<string | undefined> = [];
    const log = createMemoryLogger(2);
    const args = ['--kubeconfig=/etc/kubernetes/controller-manager.conf', '--secure-port=0', '--leader-elect=false', '--controllers=bootstrapsigner,tokencleaner', '--use-service-account-credentials=true'];
    const r = await runControllerManager(args, { files: createHost(root.root).files, log, client: (config) => (configs.push(config.token), api) });
    running.push(r);
    api.put(ref('secrets'), tokenSecret('abcdef.0123456789abcdef'));
    await eventually(() => Boolean(api.find<ConfigMap>(ref('configmaps'), 'kube-public', 'cluster-info')?.data?.['jws-kubeconfig-abcdef']));
    expect(api.all(ref('serviceaccounts'), 'kube-system').map((s) => s.metadata.name).sort()).toEqual(['bootstrap-signer', 'token-cleaner']);
    expect(configs).toEqual([undefined, 'sa-token-bootstrap-signer']);
    expect(log.lines.join('\n')).toMatch(/\[tokencleaner\] cannot act as kube-system\/token-cleaner .*; using the --kubeconfig identity/);
  });

  it('rejects an unknown flag, naming it', async () => {
    root = await nodeRoot();
    await expect(runControllerManager(['--kubeconfig=/etc/kubernetes/controller-manager.conf', '--no-such-flag=1'], { files: createHost(root.root).files, client: () => new FakeApi() }))
      .rejects.toMatchObject({ code: 'KF_FLAG_UNKNOWN', message: 'kube-controller-manager: unknown flag: --no-such-flag' });
  });

  it('refuses --allocate-node-cidrs without a usable --cluster-cidr', async () => {
    root = await nodeRoot();
    const base = ['--kubeconfig=/etc/kubernetes/controller-manager.conf', '--secure-port=0', '--allocate-node-cidrs=true'];
    const deps = { files: createHost(root.root).files, client: () => new FakeApi() };
    await expect(runControllerManager(base, deps)).rejects.toMatchObject({ code: 'KF_FLAG_INVALID', message: expect.stringContaining('--cluster-cidr') });
    await expect(runControllerManager([...base, '--cluster-cidr=10.244.0.0/28'], deps)).rejects.toMatchObject({ code: 'KF_NODEIPAM_CIDR' });
  });

  it('says which kubeconfig is missing', async () => {
    root = await nodeRoot();
    await expect(runControllerManager(['--kubeconfig=/etc/kubernetes/nope.conf', '--secure-port=0'], { files: createHost(root.root).files, client: () => new FakeApi() }))
      .rejects.toMatchObject({ code: 'KF_KUBECONFIG_MISSING', message: expect.stringContaining('nope.conf does not exist') });
  });

  it('refuses a signing key file that does not exist', async () => {
    root = await nodeRoot();
    await expect(runControllerManager(['--kubeconfig=/etc/kubernetes/controller-manager.conf', '--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt', '--cluster-signing-key-file=/etc/kubernetes/pki/ca.key', '--secure-port=0'], { files: createHost(root.root).files, client: () => new FakeApi() }))
      .rejects.toMatchObject({ code: 'KF_COMPONENT_FILE_MISSING' });
  });
});
