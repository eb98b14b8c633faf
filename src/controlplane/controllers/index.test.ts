import { connect, type SecureVersion } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultInitConfig } from '../../config/defaults.js';
import { createHost } from '../../host/index.js';
import { renderStaticPod } from '../../manifests/index.js';
import { createMemoryLogger } from '../../log.js';
import { freePort, httpsGet, nodeRoot, type NodeRoot } from '../../../test/helpers/component-root.js';
import { KubeApiError, type KubeObject, type ResourceRef } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi } from '../../../test/helpers/fake-api.js';
import type { Lease } from '../common/leaderelection.js';
import type { ConfigMap } from './bootstrapsigner.js';
import { CONTROLLERS, isControllerEnabled, runControllerManager, type Running } from './index.js';
import { tokenSecret } from '../../../test/helpers/token-secrets.js';

const KUBECONFIG = 'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EK\n    server: https://127.0.0.2:6443\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n';

describe('--controllers selection (upstream IsControllerEnabled)', () => {
  const enabled = (...selection: string[]) => CONTROLLERS.filter((r) => isControllerEnabled(r, selection)).map((r) => r.name);
  it('turns on the defaults with * and leaves bootstrapsigner and tokencleaner off', () => {
    expect(enabled('*')).toEqual(['csrapproving', 'csrsigning', 'nodelifecycle', 'taint-eviction-controller', 'podgc', 'nodeipam', 'serviceaccount', 'root-ca-cert-publisher', 'namespace', 'deployment', 'replicaset', 'job', 'cronjob', 'ttl-after-finished', 'disruption', 'daemonset', 'statefulset', 'endpoint', 'endpointslice', 'endpointslicemirroring', 'garbagecollector']);
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
    // kubeadm's manifest sets --use-service-account-credentials=true: every controller gets its token.
    api.on('POST', /\/serviceaccounts\/[^/]+\/token$/, (_body, path) => ({ status: { token: `sa-token-${path.split('/').at(-2)}`, expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString() } }));
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
    // /metrics is the API server's to allow (TokenReview, then SubjectAccessReview), as upstream's delegated auth.
    expect((await httpsGet('127.0.0.1', port, '/metrics')).status).toBe(403);
    api.on('POST', /\/tokenreviews$/, (body) => ({ status: (body as { spec: { token: string } }).spec.token === 'scrape' ? { authenticated: true, user: { username: 'prometheus', groups: ['system:authenticated'] } } : {} }));
    api.on('POST', /\/subjectaccessreviews$/, (body) => ({ status: { allowed: (body as { spec: { user: string } }).spec.user === 'prometheus' } }));
    const metrics = (await httpsGet('127.0.0.1', port, '/metrics', undefined, { authorization: 'Bearer scrape' })).body;
    expect(metrics).toContain('workqueue_adds_total{name="bootstrap_signer_queue"}');
    expect(metrics).toContain('leader_election_master_status{name="kube-controller-manager"} 1');
    await r.stop();
    await r.done;
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

  const saArgs = ['--kubeconfig=/etc/kubernetes/controller-manager.conf', '--secure-port=0', '--leader-elect=false', '--controllers=bootstrapsigner,tokencleaner', '--use-service-account-credentials=true'];
  const grantToken = (api: FakeApi, serviceAccount: string) =>
    api.on('POST', new RegExp(`/serviceaccounts/${serviceAccount}/token$`), () => ({ status: { token: `sa-token-${serviceAccount}`, expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString() } }));

  it('acts as each controller\'s ServiceAccount with --use-service-account-credentials (TokenRequest)', async () => {
    root = await nodeRoot();
    const api = new FakeApi();
    api.put(ref('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig: KUBECONFIG } });
    grantToken(api, 'bootstrap-signer');
    grantToken(api, 'token-cleaner');
    const configs: Array<string | undefined> = [];
    const r = await runControllerManager(saArgs, { files: createHost(root.root).files, log: createMemoryLogger(2), client: (config) => (configs.push(config.token), api) });
    running.push(r);
    api.put(ref('secrets'), tokenSecret('abcdef.0123456789abcdef'));
    await eventually(() => Boolean(api.find<ConfigMap>(ref('configmaps'), 'kube-public', 'cluster-info')?.data?.['jws-kubeconfig-abcdef']));
    expect(api.all(ref('serviceaccounts'), 'kube-system').map((s) => s.metadata.name).sort()).toEqual(['bootstrap-signer', 'token-cleaner']);
    await eventually(() => configs.length === 3);
    expect(configs.sort()).toEqual(['sa-token-bootstrap-signer', 'sa-token-token-cleaner', undefined]);
  });

  it('exits with KF_CONTROLLER_CREDENTIALS when a controller cannot get its ServiceAccount token, never using its own identity instead', async () => {
    root = await nodeRoot();
    const api = new FakeApi();
    grantToken(api, 'bootstrap-signer');
    const configs: Array<string | undefined> = [];
    const r = await runControllerManager(saArgs, { files: createHost(root.root).files, log: createMemoryLogger(2), client: (config) => (configs.push(config.token), api) });
    running.push(r);
    await expect(r.done).rejects.toMatchObject({ code: 'KF_CONTROLLER_CREDENTIALS', message: expect.stringContaining('tokencleaner cannot act as kube-system/token-cleaner') });
    // The manager's own client serves only the informers and TokenRequests: no controller ran as it.
    expect(configs.filter((token) => token === undefined)).toHaveLength(1);
    expect(api.calls.filter((c) => c.method === 'DELETE')).toEqual([]);
  });

  it('exits with KF_CONTROLLER_FAILED when a controller fails, instead of leading on without it', async () => {
    root = await nodeRoot();
    const api = new FakeApi();
    const crashing = { name: 'crashing', serviceAccount: 'crashing', alias: 'crashing-controller', enabledByDefault: true, make: () => ({ name: 'crashing', run: async () => { throw new Error('boom'); } }) };
    const steady = { ...crashing, name: 'steady', alias: 'steady-controller', make: () => ({ name: 'steady', run: (ctx: { signal: AbortSignal }) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())) }) };
    const port = await freePort();
    const args = ['--kubeconfig=/etc/kubernetes/controller-manager.conf', `--secure-port=${port}`, '--bind-address=127.0.0.1', '--leader-elect-retry-period=100ms'];
    const r = await runControllerManager(args, { files: createHost(root.root).files, log: createMemoryLogger(2), client: () => api, identity: 'cp1', controllers: [steady, crashing] });
    running.push(r);
    await expect(r.done).rejects.toMatchObject({ code: 'KF_CONTROLLER_FAILED', message: 'kube-controller-manager: controller crashing failed: boom' });
    expect(r.isLeader()).toBe(false);
    await expect(httpsGet('127.0.0.1', port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('exits with KF_LEADER_ELECTION_LOST when it cannot renew its Lease within the renew deadline', async () => {
    root = await nodeRoot();
    let leaseWritesFail = false;
    class LeaseOutageApi extends FakeApi {
      override async update<T extends KubeObject>(target: ResourceRef, object: T): Promise<T> {
        if (leaseWritesFail && target.resource === 'leases') throw new KubeApiError(0, '', 'connect ECONNREFUSED');
        return super.update(target, object);
      }
    }
    const api = new LeaseOutageApi();
    const args = ['--kubeconfig=/etc/kubernetes/controller-manager.conf', '--secure-port=0', '--controllers=tokencleaner', '--leader-elect-lease-duration=2s', '--leader-elect-renew-deadline=1s', '--leader-elect-retry-period=100ms'];
    const r = await runControllerManager(args, { files: createHost(root.root).files, log: createMemoryLogger(2), client: () => api, identity: 'cp1' });
    running.push(r);
    await eventually(() => r.isLeader());
    leaseWritesFail = true;
    await expect(r.done).rejects.toMatchObject({ code: 'KF_LEADER_ELECTION_LOST' });
    expect(r.isLeader()).toBe(false);
  });

  it('serves health with the --tls-min-version it is given', async () => {
    root = await nodeRoot();
    const port = await freePort();
    const args = ['--kubeconfig=/etc/kubernetes/controller-manager.conf', `--secure-port=${port}`, '--bind-address=127.0.0.1', '--leader-elect=false', '--controllers=tokencleaner', '--tls-min-version=VersionTLS13'];
    running.push((await start(new FakeApi(), args)).r);
    const handshake = (maxVersion: SecureVersion) =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion }, () => (resolve(socket.getProtocol() ?? ''), socket.end()));
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
    expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
    expect(await handshake('TLSv1.2')).toMatch(/ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION|ERR_SSL_UNSUPPORTED_PROTOCOL/);
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
