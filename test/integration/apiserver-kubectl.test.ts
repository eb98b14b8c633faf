import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/apiserver-harness.js';

let cluster: TestCluster;
const ok = async (...args: string[]) => {
  const res = await cluster.kubectl(args);
  expect(res.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(res.code, `kubectl ${args.join(' ')}`).toBe(0);
  return res.stdout;
};

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('the real kubectl 1.32 with an admin kubeconfig', () => {
  it('reads the server version and the API resources', async () => {
    expect(JSON.parse(await ok('version', '-o', 'json')).serverVersion).toMatchObject({ major: '1', minor: '32' });
    const resources = await ok('api-resources');
    expect(resources).toMatch(/^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    expect(resources).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  });

  it('lists, creates and deletes namespaces', async () => {
    expect(await ok('get', 'ns')).toMatch(/^kube-node-lease\s+/m);
    expect(await ok('create', 'ns', 'team-a')).toBe('namespace/team-a created\n');
    expect(JSON.parse(await ok('get', 'ns', 'team-a', '-o', 'json')).status.phase).toBe('Active');
    expect(await ok('delete', 'ns', 'team-a', '--wait=false')).toBe('namespace "team-a" deleted\n');
  });

  it('creates a configmap and a secret and reads them back as YAML and JSON', async () => {
    expect(await ok('create', 'configmap', 'settings', '--from-literal=color=blue')).toBe('configmap/settings created\n');
    expect(await ok('get', 'configmap', 'settings', '-o', 'yaml')).toMatch(/data:\n {2}color: blue\n/);
    expect(await ok('create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2')).toBe('secret/creds created\n');
    const secret = JSON.parse(await ok('get', 'secret', 'creds', '-o', 'json'));
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('hunter2');
    expect(secret.type).toBe('Opaque');
  });

  it('labels, annotates and patches with all three patch types', async () => {
    await ok('create', 'configmap', 'patchme', '--from-literal=a=1');
    expect(await ok('label', 'configmap', 'patchme', 'tier=web')).toBe('configmap/patchme labeled\n');
    expect(await ok('annotate', 'configmap', 'patchme', 'note=hi')).toBe('configmap/patchme annotated\n');
    await ok('patch', 'configmap', 'patchme', '--type=merge', '-p', '{"data":{"b":"2"}}');
    await ok('patch', 'configmap', 'patchme', '--type=json', '-p', '[{"op":"remove","path":"/data/a"}]');
    await ok('patch', 'configmap', 'patchme', '-p', '{"data":{"c":"3"}}');
    const cm = JSON.parse(await ok('get', 'configmap', 'patchme', '-o', 'json'));
    expect(cm.data).toEqual({ b: '2', c: '3' });
    expect(cm.metadata.labels).toEqual({ tier: 'web' });
    expect(cm.metadata.annotations).toEqual({ note: 'hi' });
    expect(await ok('get', 'cm', '-l', 'tier=web', '-o', 'name')).toBe('configmap/patchme\n');
  });

  it('creates a deployment, a service account, a pod, a service and a priority class (protobuf bodies)', async () => {
    expect(await ok('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=0', '--port=80')).toBe('deployment.apps/web created\n');
    const deploy = JSON.parse(await ok('get', 'deployment', 'web', '-o', 'json'));
    expect(deploy.spec.replicas).toBe(0);
    expect(deploy.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(deploy.spec.template.spec.containers).toEqual([{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }]);
    expect(deploy.metadata.generation).toBe(1);
    expect(await ok('create', 'serviceaccount', 'robot')).toBe('serviceaccount/robot created\n');
    expect(await ok('run', 'shell', '--image=busybox', '--env=A=1', '--labels=x=y', '--', 'sleep', '3600')).toBe('pod/shell created\n');
    const pod = JSON.parse(await ok('get', 'pod', 'shell', '-o', 'json'));
    expect(pod.metadata.labels).toEqual({ x: 'y' });
    expect(pod.spec.containers[0]).toMatchObject({ name: 'shell', image: 'busybox', args: ['sleep', '3600'], env: [{ name: 'A', value: '1' }] });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    expect(pod.spec.containers[0].stdin).toBeUndefined();
    expect(await ok('create', 'service', 'clusterip', 'web', '--tcp=80:8080')).toBe('service/web created\n');
    expect(JSON.parse(await ok('get', 'svc', 'web', '-o', 'json')).spec.ports).toEqual([{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]);
    expect(await ok('create', 'priorityclass', 'low', '--value=0', '--description=cheap')).toBe('priorityclass.scheduling.k8s.io/low created\n');
    expect(JSON.parse(await ok('get', 'pc', 'low', '-o', 'json'))).toMatchObject({ value: 0, description: 'cheap' });
  });

  it('creates roles and bindings that RBAC then enforces', async () => {
    expect(await ok('create', 'role', 'cm-reader', '--verb=get,list', '--resource=configmaps')).toBe('role.rbac.authorization.k8s.io/cm-reader created\n');
    expect(JSON.parse(await ok('get', 'role', 'cm-reader', '-o', 'json')).rules).toEqual([{ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] }]);
    expect(await ok('create', 'rolebinding', 'robot-reads', '--role=cm-reader', '--serviceaccount=default:robot', '--user=carol')).toBe('rolebinding.rbac.authorization.k8s.io/robot-reads created\n');
    expect(JSON.parse(await ok('get', 'rolebinding', 'robot-reads', '-o', 'json'))).toMatchObject({
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'carol' }, { kind: 'ServiceAccount', name: 'robot', namespace: 'default' }],
    });
    expect(await ok('create', 'clusterrole', 'node-viewer', '--verb=get,list', '--resource=nodes')).toBe('clusterrole.rbac.authorization.k8s.io/node-viewer created\n');
    expect(await ok('create', 'clusterrolebinding', 'carol-nodes', '--clusterrole=node-viewer', '--user=carol')).toBe('clusterrolebinding.rbac.authorization.k8s.io/carol-nodes created\n');
    const token = (await ok('create', 'token', 'robot')).trim();
    const asRobot = (...args: string[]) => cluster.kubectl([`--token=${token}`, '--server', cluster.url, '--certificate-authority', cluster.pki.ca.cert, ...args], { kubeconfig: '/dev/null' });
    // The RBAC caches follow an etcd watch: once the last binding grants, the refusals below are
    // refusals of a cache that has the bindings, not of one that is behind.
    await expect.poll(async () => (await asRobot('auth', 'can-i', 'list', 'configmaps')).stdout, { timeout: 15_000 }).toBe('yes\n');
    expect((await asRobot('auth', 'can-i', 'delete', 'configmaps')).stdout).toBe('no\n');
    expect((await asRobot('get', 'cm', 'settings', '-o', 'name')).stdout).toBe('configmap/settings\n');
    expect((await asRobot('get', 'secrets')).stderr).toContain('User "system:serviceaccount:default:robot" cannot list resource "secrets"');
    const carol = await cluster.userKubeconfig('carol', { cn: 'carol' });
    await expect.poll(async () => (await cluster.kubectl(['get', 'nodes'], { kubeconfig: carol })).stderr, { timeout: 15_000 }).toMatch(/^No resources found/);
    expect((await cluster.kubectl(['get', 'namespaces'], { kubeconfig: carol })).stderr).toContain('User "carol" cannot list resource "namespaces"');
  });

  it('scales a deployment through the scale subresource', async () => {
    await ok('create', 'deployment', 'scaled', '--image=nginx');
    expect(await ok('scale', 'deployment', 'scaled', '--replicas=3')).toBe('deployment.apps/scaled scaled\n');
    expect(JSON.parse(await ok('get', 'deploy', 'scaled', '-o', 'json')).spec.replicas).toBe(3);
    expect(JSON.parse(await ok('get', '--raw', '/apis/apps/v1/namespaces/default/deployments/scaled/scale'))).toMatchObject({ kind: 'Scale', spec: { replicas: 3 }, status: { selector: 'app=scaled' } });
  });

  it('answers auth can-i and auth whoami', async () => {
    expect(await ok('auth', 'can-i', 'create', 'pods')).toBe('yes\n');
    expect(await ok('auth', 'whoami', '-o', 'json')).toContain('"username": "kubernetes-admin"');
  });

  it('sees a change through get --watch', async () => {
    await ok('create', 'configmap', 'watched');
    const child = spawn('kubectl', ['--kubeconfig', cluster.kubeconfig, 'get', 'configmap', 'watched', '--watch', '-o', 'jsonpath={.data.v}{"\\n"}'], { env: { ...process.env, HOME: cluster.dir } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    try {
      // kubectl prints the object (an empty line: no data yet) once it listed it; it watches from that resourceVersion.
      await expect.poll(() => output, { timeout: 15_000 }).toContain('\n');
      await ok('patch', 'configmap', 'watched', '--type=merge', '-p', '{"data":{"v":"changed"}}');
      await expect.poll(() => output, { timeout: 15_000 }).toContain('changed');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('deletes and reports NotFound afterwards', async () => {
    await ok('create', 'configmap', 'doomed');
    expect(await ok('delete', 'configmap', 'doomed')).toBe('configmap "doomed" deleted\n');
    const res = await cluster.kubectl(['get', 'configmap', 'doomed']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Error from server (NotFound): configmaps "doomed" not found');
  });

  it('creates from a file and applies twice (the second apply is unchanged)', async () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels:\n    app: demo\ndata:\n  k: v\n';
    const file = `${cluster.dir}/applied.yaml`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, manifest);
    expect(await ok('apply', '-f', file)).toBe('configmap/applied created\n');
    expect(await ok('apply', '-f', file)).toBe('configmap/applied unchanged\n');
    await writeFile(file, manifest.replace('k: v', 'k: w'));
    expect(await ok('apply', '-f', file)).toBe('configmap/applied configured\n');
    expect(JSON.parse(await ok('get', 'cm', 'applied', '-o', 'json')).data).toEqual({ k: 'w' });
    await writeFile(`${cluster.dir}/created.yaml`, manifest.replace('applied', 'created-from-file'));
    expect(await ok('create', '-f', `${cluster.dir}/created.yaml`)).toBe('configmap/created-from-file created\n');
  });

  it('rejects unknown fields under the default strict validation', async () => {
    const file = `${cluster.dir}/bad.yaml`;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndatta:\n  k: v\n');
    const res = await cluster.kubectl(['create', '-f', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('unknown field "datta"');
  });

  it('shows the stored objects in etcd', async () => {
    const keys = (await cluster.etcdctl(['get', '/registry', '--prefix', '--keys-only'])).stdout;
    expect(keys).toContain('/registry/configmaps/default/settings');
    expect(keys).toContain('/registry/secrets/default/creds');
  });
});
