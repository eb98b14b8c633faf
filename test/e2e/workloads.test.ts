/**
 * Issue 14, item 4 (workload controllers) through the built CLI (`npm run build` first), real
 * containerd and the real kubectl: `init` on 127.0.0.170 and two workers joined on .171/.172,
 * busybox images built offline (tags v1 and v2 of one image) imported on each worker.
 * A Deployment rolls out with `kubectl set image`, `rollout history` lists the revisions,
 * `rollout undo` restores the previous image and `rollout restart` replaces every pod; a
 * DaemonSet runs one pod per worker, completes a rolling update and its undo; a StatefulSet of 2 starts
 * db-0 (Running and Ready) before db-1, each with hostname db-N and subdomain db.
 * The controllers' logic is specified by their unit tests; this file proves the wiring.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, resetRoots } from '../helpers/cli.js';
import { testRoots } from '../helpers/e2e-cluster.js';
import { kubectlWith } from '../helpers/kubectl.js';
import { writeBusyboxImage } from '../helpers/images.js';
import { waitFor } from '../helpers/agent-harness.js';

const CP = '127.0.0.170';
const WORKERS = { w1: '127.0.0.171', w2: '127.0.0.172' } as const;
const V1 = 'docker.io/kubeforge/busybox:v1';
const V2 = 'docker.io/kubeforge/busybox:v2';

const { roots, newRoot, cleanupAll } = testRoots();
let cp: string;

const kubectl = kubectlWith(() => `${cp}/etc/kubernetes/admin.conf`);
const json = kubectl.json;

/** `kubectl rollout status`, its own --timeout deciding. */
async function rolledOut(target: string): Promise<string> {
  const r = await kubectl(['rollout', 'status', target, '--timeout=180s'], undefined, 200_000);
  expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

interface PodView {
  name: string;
  node: string;
  image: string;
}
async function podsOf(selector: string): Promise<PodView[]> {
  const list = await json(['get', 'pods', '-l', selector]);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return list.items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => ({ name: p.metadata.name, node: p.spec.nodeName, image: p.spec.containers[0].image }));
}

const httpd = (name: string, labels: string) => `
      terminationGracePeriodSeconds: 1
      containers:
      - name: ${name}
        image: ${V1}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "hostname; mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
    metadata:
      labels: ${labels}`;

beforeAll(async () => {
  const scratch = await newRoot('kf-wl-scratch-');
  const archives = [path.join(scratch, 'v1.tar'), path.join(scratch, 'v2.tar')];
  await writeBusyboxImage(archives[0]!, V1);
  await writeBusyboxImage(archives[1]!, V2);
  cp = await newRoot('kf-wl-cp-');
  const init = await kubeforge(['init', '--root', cp, '--apiserver-advertise-address', CP, '--node-name', 'cp1', '--pod-network-cidr', '10.217.0.0/16', '--service-cidr', '10.117.0.0/16', '--ignore-preflight-errors=all']);
  expect(init.exitCode, init.stderr.slice(-2000)).toBe(0);
  const printed = init.stdout.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
  const joinArgs = [...printed![1]!.split(/\s+/), ...printed![2]!.split(/\s+/)];
  for (const [name, ip] of Object.entries(WORKERS)) {
    const root = await newRoot(`kf-wl-${name}-`);
    const join = await kubeforge([...joinArgs, '--root', root, '--node-name', name, '--node-ip', ip, '--ignore-preflight-errors', 'all']);
    expect(join.exitCode, join.stderr.slice(-2000)).toBe(0);
    const imported = await kubeforge(['images', 'import', ...archives, '--root', root]);
    expect(imported.exitCode, imported.stderr).toBe(0);
  }
}, 300_000);

afterAll(async () => {
  const leftovers = await resetRoots(roots);
  await cleanupAll();
  expect(leftovers).toEqual({});
}, 300_000);

describe('workload controllers on a 2-worker cluster', () => {
  it('set image rolls a Deployment out, rollout history lists the revisions, rollout undo restores the previous image', async () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    spec:${httpd('httpd', '{app: web}')}
`;
    const applied = await kubectl(['apply', '-f', '-'], deployment);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const created = await json(['get', 'deploy', 'web']);
    expect(created.spec).toMatchObject({ revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    expect(await rolledOut('deploy/web')).toContain('successfully rolled out');
    expect((await kubectl(['set', 'image', 'deploy/web', `httpd=${V2}`])).exitCode).toBe(0);
    await rolledOut('deploy/web');
    expect((await podsOf('app=web')).map((p) => p.image)).toEqual([V2, V2]);
    const history = await kubectl(['rollout', 'history', 'deploy/web']);
    expect(history.stdout).toMatch(/^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/m);
    const undo = await kubectl(['rollout', 'undo', 'deploy/web']);
    expect(undo.exitCode, undo.stderr).toBe(0);
    expect(undo.stdout).toContain('deployment.apps/web rolled back');
    await rolledOut('deploy/web');
    expect((await podsOf('app=web')).map((p) => p.image)).toEqual([V1, V1]);
    expect((await json(['get', 'deploy', 'web'])).metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
    expect((await kubectl(['rollout', 'history', 'deploy/web'])).stdout).toMatch(/\n2\s+<none>\n3\s+<none>\n/);
  }, 420_000);

  it('rollout restart replaces every pod of the Deployment', async () => {
    const before = (await podsOf('app=web')).map((p) => p.name);
    const restart = await kubectl(['rollout', 'restart', 'deploy/web']);
    expect(restart.exitCode, restart.stderr).toBe(0);
    await rolledOut('deploy/web');
    await waitFor('the old pods to go', async () => (await podsOf('app=web')).length === 2, 60_000);
    const after = (await podsOf('app=web')).map((p) => p.name);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
    expect((await json(['get', 'deploy', 'web'])).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeDefined();
  }, 240_000);

  it('a DaemonSet runs one pod per worker and completes a rolling update', async () => {
    const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector:
    matchLabels: {app: agent}
  template:
    spec:${httpd('agent', '{app: agent}')}
`;
    expect((await kubectl(['apply', '-f', '-'], daemonSet)).exitCode).toBe(0);
    expect(await rolledOut('ds/agent')).toContain('daemon set "agent" successfully rolled out');
    const pods = await podsOf('app=agent');
    expect(pods.map((p) => p.node).sort()).toEqual(['w1', 'w2']); // cp1 keeps its control-plane taint
    expect((await kubectl(['set', 'image', 'ds/agent', `agent=${V2}`])).exitCode).toBe(0);
    await rolledOut('ds/agent');
    await waitFor('two updated daemon pods', async () => {
      const now = await podsOf('app=agent');
      return now.length === 2 && now.every((p) => p.image === V2);
    }, 60_000);
    const ds = await json(['get', 'ds', 'agent']);
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberMisscheduled: 0 });
    expect((await kubectl(['rollout', 'history', 'ds/agent'])).stdout).toMatch(/\n1\s+<none>\n2\s+<none>\n/);
    // undo sends revision 1's ControllerRevision data back as a strategic-merge patch.
    const undo = await kubectl(['rollout', 'undo', 'ds/agent']);
    expect(undo.exitCode, undo.stderr).toBe(0);
    await rolledOut('ds/agent');
    await waitFor('the daemon pods back at v1', async () => {
      const now = await podsOf('app=agent');
      return now.length === 2 && now.every((p) => p.image === V1);
    }, 60_000);
    expect((await kubectl(['rollout', 'history', 'ds/agent'])).stdout).toMatch(/\n2\s+<none>\n3\s+<none>\n/);
  }, 420_000);

  it('a StatefulSet of 2 starts db-0 Running and Ready before db-1, with hostnames db-N and subdomain db', async () => {
    const objects = `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    spec:${httpd('db', '{app: db}')}
`;
    // A watch delivers the pods' changes in etcd order: db-1 must appear after db-0 turned Ready.
    const template = '{.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}';
    const watch = spawn('kubectl', ['--kubeconfig', `${cp}/etc/kubernetes/admin.conf`, 'get', 'pods', '-l', 'app=db', '--watch', '-o', `jsonpath=${template}`]);
    let events = '';
    watch.stdout.on('data', (chunk: Buffer) => (events += chunk.toString()));
    try {
      const applied = await kubectl(['apply', '-f', '-'], objects);
      expect(applied.exitCode, applied.stderr).toBe(0);
      await rolledOut('sts/db');
      await waitFor('db-1 in the watch', () => events.includes('db-1 '), 30_000);
    } finally {
      watch.kill();
    }
    const lines = events.split('\n').filter(Boolean);
    const firstOfDb1 = lines.findIndex((l) => l.startsWith('db-1 '));
    expect(lines.slice(0, firstOfDb1).filter((l) => l.startsWith('db-0 ')).at(-1), events).toBe('db-0 Running True');
    const first = await json(['get', 'pod', 'db-0']);
    const second = await json(['get', 'pod', 'db-1']);
    for (const [i, pod] of [first, second].entries()) {
      expect(pod.spec).toMatchObject({ hostname: `db-${i}`, subdomain: 'db' });
      expect(pod.metadata.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': `db-${i}`, 'apps.kubernetes.io/pod-index': String(i) });
      expect((await kubectl(['logs', `db-${i}`])).stdout.split('\n')[0]).toBe(`db-${i}`);
    }
    const sts = await json(['get', 'sts', 'db']);
    expect(sts.spec).toMatchObject({ podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } });
    expect(sts.status).toMatchObject({ replicas: 2, readyReplicas: 2, currentRevision: sts.status.updateRevision });
  }, 300_000);
});
