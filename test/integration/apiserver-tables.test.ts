import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, startTestCluster, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';

let cluster: TestCluster;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });
const ok = async (...args: string[]) => {
  const res = await cluster.kubectl(args);
  expect(res.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(res.code).toBe(0);
  return res.stdout;
};
const lines = (text: string) => text.trimEnd().split('\n').map((l) => l.trimEnd().split(/\s{2,}/));

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('server-side Table output for kubectl get', () => {
  it('prints namespaces, configmaps and secrets with upstream columns', async () => {
    expect(lines(await ok('get', 'ns'))).toEqual(expect.arrayContaining([['NAME', 'STATUS', 'AGE'], ['default', 'Active', expect.stringMatching(/^\d+s$/)]]));
    await ok('create', 'configmap', 'two', '--from-literal=a=1', '--from-literal=b=2');
    await ok('create', 'secret', 'generic', 'one', '--from-literal=a=1');
    expect(lines(await ok('get', 'cm', 'two'))).toEqual([['NAME', 'DATA', 'AGE'], ['two', '2', expect.any(String)]]);
    expect(lines(await ok('get', 'secret', 'one'))).toEqual([['NAME', 'TYPE', 'DATA', 'AGE'], ['one', 'Opaque', '1', expect.any(String)]]);
  });

  it('prints nodes with status, roles and version, and the addresses with -o wide', async () => {
    await admin('/api/v1/nodes', {
      method: 'POST',
      body: {
        metadata: { name: 'cp-1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '127.0.0.2' }],
          nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'kubeforge://0.1.0' },
        },
      },
    });
    expect(lines(await ok('get', 'nodes'))).toEqual([['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'], ['cp-1', 'Ready', 'control-plane', expect.any(String), 'v1.32.0']]);
    expect(lines(await ok('get', 'nodes', '-o', 'wide'))[1]).toEqual(['cp-1', 'Ready', 'control-plane', expect.any(String), 'v1.32.0', '127.0.0.2', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'kubeforge://0.1.0']);
  });

  it('prints pods with READY/STATUS/RESTARTS and IP/NODE with -o wide', async () => {
    await ok('run', 'web', '--image=nginx');
    expect(lines(await ok('get', 'pods'))).toEqual([['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], ['web', '0/1', 'Pending', '0', expect.any(String)]]);
    const pod = (await admin('/api/v1/namespaces/default/pods/web')).json;
    pod.status = { phase: 'Running', podIP: '10.244.0.5', containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }] };
    expect((await admin('/api/v1/namespaces/default/pods/web/status', { method: 'PUT', body: pod })).status).toBe(200);
    await admin('/api/v1/namespaces/default/pods/web/binding', { method: 'POST', body: { target: { kind: 'Node', name: 'cp-1' } } });
    expect(lines(await ok('get', 'pods', '-o', 'wide'))[1]).toEqual(['web', '1/1', 'Running', '0', expect.any(String), '10.244.0.5', 'cp-1', '<none>', '<none>']);
  });

  it('prints deployments, services, service accounts and leases', async () => {
    await ok('create', 'deployment', 'api', '--image=nginx', '--replicas=2');
    expect(lines(await ok('get', 'deploy'))).toEqual([['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], ['api', '0/2', '0', '0', expect.any(String)]]);
    expect(lines(await ok('get', 'deploy', '-o', 'wide'))[1]).toEqual(['api', '0/2', '0', '0', expect.any(String), 'nginx', 'nginx', 'app=api']);
    await ok('create', 'service', 'nodeport', 'api', '--tcp=80:8080');
    expect(lines(await ok('get', 'svc', 'api'))[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(lines(await ok('get', 'svc', 'api'))[1]).toEqual(['api', 'NodePort', expect.stringMatching(/^10\.\d+\.\d+\.\d+$/), '<none>', expect.stringMatching(/^80:3\d{4}\/TCP$/), expect.any(String)]);
    expect(lines(await ok('get', 'svc', 'kubernetes'))[1]).toEqual(['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP', expect.any(String)]);
    await ok('create', 'sa', 'bot');
    expect(lines(await ok('get', 'sa', 'bot'))).toEqual([['NAME', 'SECRETS', 'AGE'], ['bot', '0', expect.any(String)]]);
    await admin('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { method: 'POST', body: { metadata: { name: 'cp-1' }, spec: { holderIdentity: 'cp-1', leaseDurationSeconds: 40 } } });
    expect(lines(await ok('get', 'lease', '-n', 'kube-node-lease'))).toEqual([['NAME', 'HOLDER', 'AGE'], ['cp-1', 'cp-1', expect.any(String)]]);
  });

  it('prints CSRs with signer, requestor and condition, and events', async () => {
    const csr = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'csr-1' }, spec: { request: Buffer.from('x').toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['client auth'], expirationSeconds: 86400 } };
    await admin('/apis/certificates.k8s.io/v1/certificatesigningrequests', { method: 'POST', body: csr });
    expect(lines(await ok('get', 'csr'))).toEqual([
      ['NAME', 'AGE', 'SIGNERNAME', 'REQUESTOR', 'REQUESTEDDURATION', 'CONDITION'],
      ['csr-1', expect.any(String), 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes-admin', '24h', 'Pending'],
    ]);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await admin('/api/v1/namespaces/default/events', { method: 'POST', body: { metadata: { name: 'web.1' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Scheduled', message: 'Successfully assigned default/web to cp-1', type: 'Normal', firstTimestamp: now, lastTimestamp: now, count: 1, source: { component: 'default-scheduler' } } });
    expect(lines(await ok('get', 'events'))).toEqual([['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], [expect.any(String), 'Normal', 'Scheduled', 'pod/web', 'Successfully assigned default/web to cp-1']]);
  });

  it('prints RBAC objects and keeps --show-labels and -A working (row metadata)', async () => {
    expect(lines(await ok('get', 'clusterrole', 'cluster-admin'))).toEqual([['NAME', 'CREATED AT'], ['cluster-admin', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]]);
    expect(lines(await ok('get', 'clusterrolebinding', 'cluster-admin', '-o', 'wide'))).toEqual([['NAME', 'ROLE', 'AGE', 'USERS', 'GROUPS', 'SERVICEACCOUNTS'], ['cluster-admin', 'ClusterRole/cluster-admin', expect.any(String), 'system:masters']]);
    expect(lines(await ok('get', 'ns', 'default', '--show-labels'))[1]).toEqual(['default', 'Active', expect.any(String), 'kubernetes.io/metadata.name=default']);
    expect(lines(await ok('get', 'cm', '-A'))[0]).toEqual(['NAMESPACE', 'NAME', 'DATA', 'AGE']);
  });

  it('streams table rows through get --watch', async () => {
    const child = spawn('kubectl', ['--kubeconfig', cluster.kubeconfig, 'get', 'configmaps', '--watch'], { env: { ...process.env, HOME: cluster.dir } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const deadline = Date.now() + 5000;
      while (!output.includes('two') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await ok('create', 'configmap', 'late', '--from-literal=x=1');
      while (!/^late\s+1\s+/m.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      child.kill('SIGTERM');
    }
    expect(output.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(output).toMatch(/^late\s+1\s+\d+s$/m);
    expect(output.match(/^NAME/gm)).toHaveLength(1);
  });

  it('serves aggregated discovery (apidiscovery.k8s.io/v2) when asked, legacy discovery otherwise', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const apis = await admin('/apis', { accept });
    expect(apis.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const apps = apis.json.items.find((g: { metadata: { name?: string } }) => g.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'deployments');
    expect(deployments).toMatchObject({ responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, scope: 'Namespaced', shortNames: ['deploy'] });
    expect(deployments.subresources).toContainEqual({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
    const core = await admin('/api', { accept });
    expect(core.json.items[0].versions[0].resources.map((r: { resource: string }) => r.resource)).toContain('namespaces');
    expect((await admin('/api')).json.kind).toBe('APIVersions');
  });
});
