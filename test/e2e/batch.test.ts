/**
 * Issue 14 (batch, garbage collection, eviction), through the built CLI (`npm run build`
 * first), real containerd, the real kubectl: `init` on 127.0.0.180 (the controller manager's
 * --node-monitor-grace-period shortened to 20 s) and two workers on .181/.182 with the busybox
 * image built offline. Jobs run to completion or stop at backoffLimit, a CronJob's Jobs appear,
 * an invalid schedule is refused, Deployment deletion cascades in the background, the
 * foreground or not at all, `kubectl drain` respects a PodDisruptionBudget, and the pods of a
 * worker whose agent is killed are deleted after their tolerationSeconds.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, tool } from '../helpers/cli.js';
import { testRoots } from '../helpers/e2e-cluster.js';
import { kubectlWith, waitFor } from '../helpers/kubectl.js';
import { writeBusyboxImage } from '../helpers/images.js';
import { pidsMentioning } from '../helpers/processes.js';

const CP = '127.0.0.180';
const WORKERS = { w1: '127.0.0.181', w2: '127.0.0.182' } as const;
const IMAGE = 'docker.io/kubeforge/busybox:e2e';

const CONFIG = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${CP}
nodeRegistration:
  name: cp1
  ignorePreflightErrors: [all]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking:
  podSubnet: 10.218.0.0/16
  serviceSubnet: 10.118.0.0/16
controllerManager:
  extraArgs:
  - name: node-monitor-grace-period
    value: 20s
`;

const { roots, newRoot, cleanupAll } = testRoots();
const rootOf: Record<string, string> = {};
let cp: string;

const kubectl = kubectlWith(() => `${cp}/etc/kubernetes/admin.conf`);
const json = kubectl.json;

const job = (name: string, spec: string, command: string) => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
${spec}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: ${IMAGE}, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "${command}"]}
`;

/** A Deployment of sleeping busybox pods; `extra` goes into the pod spec. */
const deployment = (name: string, replicas: number, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 1
${extra}      containers:
      - {name: c, image: ${IMAGE}, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]}
`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const livePods = async (selector: string): Promise<any[]> => (await json(['get', 'pods', '-l', selector])).items.filter((p: any) => !p.metadata.deletionTimestamp);
const names = async (kind: string, selector: string): Promise<string[]> => (await json(['get', kind, '-l', selector])).items.map((o: { metadata: { name: string } }) => o.metadata.name);

/** Pods and node conditions/taints, for a failure message. */
async function situation(): Promise<string> {
  const pods = await kubectl(['get', 'pods', '-o', 'wide']);
  const nodes = await kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.taints} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return `${pods.stdout}\n${nodes.stdout}`;
}

beforeAll(async () => {
  const scratch = await newRoot('kf-batch-scratch-');
  const imageArchive = path.join(scratch, 'busybox.tar');
  await writeBusyboxImage(imageArchive, IMAGE);
  cp = await newRoot('kf-batch-cp-');
  const config = path.join(scratch, 'init.yaml');
  await tool('sh', ['-c', `cat > ${config}`], CONFIG);
  const init = await kubeforge(['init', '--root', cp, '--config', config]);
  expect(init.exitCode, init.stderr.slice(-2000)).toBe(0);
  const printed = init.stdout.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
  const joinArgs = [...printed![1]!.split(/\s+/), ...printed![2]!.split(/\s+/)];
  await Promise.all(Object.entries(WORKERS).map(async ([name, ip]) => {
    rootOf[name] = await newRoot(`kf-batch-${name}-`);
    const join = await kubeforge([...joinArgs, '--root', rootOf[name], '--node-name', name, '--node-ip', ip, '--ignore-preflight-errors', 'all']);
    expect(join.exitCode, join.stderr.slice(-2000)).toBe(0);
    const imported = await kubeforge(['images', 'import', imageArchive, '--root', rootOf[name]]);
    expect(imported.exitCode, imported.stderr).toBe(0);
  }));
  await waitFor('both workers Ready', async () => {
    const nodes = await json(['get', 'nodes']);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return nodes.items.filter((n: any) => n.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === 3;
  }, 120_000);
}, 400_000);

afterAll(async () => {
  const leftovers: Record<string, unknown> = {};
  for (const root of [...roots].reverse()) {
    if (!Object.values(rootOf).includes(root) && root !== cp) continue;
    const reset = await kubeforge(['reset', '--root', root, '-f']);
    if (reset.exitCode !== 0) leftovers[`${root} (reset exit ${reset.exitCode}: ${reset.stderr.slice(-300)})`] = [];
    const pids = await pidsMentioning(root);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    if (pids.length) leftovers[root] = pids;
  }
  await cleanupAll();
  expect(leftovers).toEqual({});
}, 300_000);

describe('Jobs and CronJobs', () => {
  it('creates a CronJob every minute runs (its first Job is checked at the end), and kubectl create job --from=cronjob runs one now', async () => {
    const created = await kubectl(['create', 'cronjob', 'tick', `--image=${IMAGE}`, '--schedule=*/1 * * * *', '--', 'sh', '-c', 'echo tick']);
    expect(created.exitCode, created.stderr).toBe(0);
    const manual = await kubectl(['create', 'job', 'tick-now', '--from=cronjob/tick']);
    expect(manual.exitCode, manual.stderr).toBe(0);
    const wait = await kubectl(['wait', '--for=condition=complete', 'job/tick-now', '--timeout=150s'], undefined, 160_000);
    expect(wait.exitCode, wait.stderr).toBe(0);
  }, 180_000);

  it('finishes a Job of 3 completions (parallelism 2): Complete, succeeded 3', async () => {
    const failing = await kubectl(['apply', '-f', '-'], job('always-fails', '  backoffLimit: 1', 'exit 1'));
    expect(failing.exitCode, failing.stderr).toBe(0);
    const applied = await kubectl(['apply', '-f', '-'], job('three', '  completions: 3\n  parallelism: 2', 'echo done'));
    expect(applied.exitCode, applied.stderr).toBe(0);
    const wait = await kubectl(['wait', '--for=condition=complete', 'job/three', '--timeout=150s'], undefined, 160_000);
    expect(wait.exitCode, wait.stderr).toBe(0);
    const done = await json(['get', 'job', 'three']);
    // Complete shows only once every pod is counted: succeeded is final when the wait returns.
    expect(done.status).toMatchObject({ succeeded: 3, failed: 0 });
    expect(done.status.completionTime).toBeDefined();
    expect(await names('pods', 'job-name=three')).toHaveLength(3);
  }, 180_000);

  it('stops a Job whose pods always fail at backoffLimit (1) with BackoffLimitExceeded', async () => {
    const wait = await kubectl(['wait', '--for=condition=failed', 'job/always-fails', '--timeout=150s'], undefined, 160_000);
    expect(wait.exitCode, wait.stderr).toBe(0);
    const failed = await json(['get', 'job', 'always-fails']);
    expect(failed.status.conditions.find((c: { type: string }) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(failed.status.failed).toBe(2);
    expect(await names('pods', 'job-name=always-fails')).toHaveLength(2);
  }, 180_000);

  it('refuses a CronJob with an invalid schedule: 422 naming spec.schedule, nothing stored', async () => {
    const bad = await kubectl(['create', 'cronjob', 'bad', `--image=${IMAGE}`, '--schedule=61 * * * *', '-v=6']);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/POST https:\/\/\S+\/cronjobs\S* 422/);
    expect(bad.stderr).toContain('spec.schedule: Invalid value: "61 * * * *"');
    expect((await kubectl(['get', 'cronjob', 'bad'])).exitCode).not.toBe(0);
  });
});

describe('garbage collection of a deleted Deployment', () => {
  it('background (default) removes its ReplicaSet and pods; foreground removes them before the Deployment; orphan keeps them', async () => {
    for (const name of ['gc-bg', 'gc-fg', 'gc-orphan']) expect((await kubectl(['apply', '-f', '-'], deployment(name, 1))).exitCode).toBe(0);
    for (const name of ['gc-bg', 'gc-fg', 'gc-orphan']) {
      const rollout = await kubectl(['rollout', 'status', `deploy/${name}`, '--timeout=150s'], undefined, 160_000);
      expect(rollout.exitCode, rollout.stderr).toBe(0);
    }
    expect((await kubectl(['delete', 'deployment', 'gc-bg'])).exitCode).toBe(0);
    await waitFor('gc-bg ReplicaSet and pods gone', async () => (await names('rs', 'app=gc-bg')).length === 0 && (await names('pods', 'app=gc-bg')).length === 0, 60_000);

    const fg = await kubectl(['delete', 'deployment', 'gc-fg', '--cascade=foreground', '--timeout=60s'], undefined, 70_000);
    expect(fg.exitCode, fg.stderr).toBe(0);
    // kubectl returned once the Deployment was gone: by then its ReplicaSet and pods were.
    expect(await names('rs', 'app=gc-fg')).toEqual([]);
    expect(await names('pods', 'app=gc-fg')).toEqual([]);

    const orphan = await kubectl(['delete', 'deployment', 'gc-orphan', '--cascade=orphan']);
    expect(orphan.exitCode, orphan.stderr).toBe(0);
    await waitFor('the Deployment gone', async () => (await kubectl(['get', 'deployment', 'gc-orphan'])).exitCode !== 0, 30_000);
    const [rs] = (await json(['get', 'rs', '-l', 'app=gc-orphan'])).items;
    expect(rs.metadata.ownerReferences ?? []).toEqual([]);
    expect(await livePods('app=gc-orphan')).toHaveLength(1);
    expect((await kubectl(['delete', 'rs', rs.metadata.name])).exitCode).toBe(0);
  }, 300_000);
});

describe('eviction', () => {
  it('kubectl drain evicts what a PodDisruptionBudget allows and retries the rest (429) until pods are back elsewhere', async () => {
    // Both pods on w1: cordon w2 while they start.
    expect((await kubectl(['cordon', 'w2'])).exitCode).toBe(0);
    expect((await kubectl(['apply', '-f', '-'], deployment('guarded', 2))).exitCode).toBe(0);
    const rollout = await kubectl(['rollout', 'status', 'deploy/guarded', '--timeout=150s'], undefined, 160_000);
    expect(rollout.exitCode, rollout.stderr).toBe(0);
    expect((await livePods('app=guarded')).map((p) => p.spec.nodeName)).toEqual(['w1', 'w1']);
    expect((await kubectl(['create', 'pdb', 'guarded', '--selector=app=guarded', '--min-available=1'])).exitCode).toBe(0);
    await waitFor('the budget to allow 1 disruption', async () => (await json(['get', 'pdb', 'guarded'])).status?.disruptionsAllowed === 1, 30_000);
    expect((await kubectl(['uncordon', 'w2'])).exitCode).toBe(0);

    const drain = await kubectl(['drain', 'w1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=150s'], undefined, 170_000);
    expect(drain.exitCode, drain.stderr).toBe(0);
    const output = `${drain.stdout}\n${drain.stderr}`;
    expect(output, output).toContain('node/w1 drained');
    expect(output, output).toMatch(/error when evicting pods\/"?guarded-[^\s"]+"? -n "?default"? \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget/);
    const moved = await livePods('app=guarded');
    expect(moved.map((p) => p.spec.nodeName)).toEqual(['w2', 'w2']);
    const pdb = await json(['get', 'pdb', 'guarded']);
    expect(pdb.status).toMatchObject({ expectedPods: 2, desiredHealthy: 1 });
    expect((await kubectl(['uncordon', 'w1'])).exitCode).toBe(0);
  }, 300_000);

  it('deletes the pods of a worker whose agent was killed after their tolerationSeconds (5 s), with DisruptionTarget', async () => {
    const tolerations = `      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
`;
    // The guarded pods are on w2 now; these two are there too (w1 cordoned while they start).
    expect((await kubectl(['cordon', 'w1'])).exitCode).toBe(0);
    expect((await kubectl(['apply', '-f', '-'], deployment('lost', 2, tolerations))).exitCode).toBe(0);
    const rollout = await kubectl(['rollout', 'status', 'deploy/lost', '--timeout=150s'], undefined, 160_000);
    expect(rollout.exitCode, `${rollout.stderr}\n${await situation()}`).toBe(0);
    expect((await kubectl(['uncordon', 'w1'])).exitCode).toBe(0);
    const before = await livePods('app=lost');
    expect(before.map((p) => p.spec.nodeName)).toEqual(['w2', 'w2']);
    // The default 300 s tolerations were added to the other Deployment's pods by admission.
    const guarded = (await livePods('app=guarded'))[0];
    expect(guarded.spec.tolerations).toEqual(expect.arrayContaining([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]));

    const { pid } = JSON.parse(await readFile(path.join(rootOf.w2!, 'run/kubeforge/agent.pid'), 'utf8')) as { pid: number };
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const tainted = await waitFor('w2 tainted unreachable:NoExecute', async () => {
      const node = await json(['get', 'node', 'w2']);
      return node.spec.taints?.find((t: { key: string; effect: string }) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
    }, 90_000);
    const evicted = await waitFor('the lost pods marked for deletion', async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const pods = (await json(['get', 'pods', '-l', 'app=lost'])).items.filter((p: any) => before.some((b) => b.metadata.uid === p.metadata.uid));
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return pods.every((p: any) => p.metadata.deletionTimestamp) && pods;
    }, 60_000);
    for (const p of evicted) {
      expect(Date.parse(p.metadata.deletionTimestamp)).toBeGreaterThanOrEqual(Date.parse(tainted.timeAdded) + 5000 - 1000);
      expect(p.status.conditions.find((c: { type: string }) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
    }
    // Their replacements run on w1; the guarded pods (300 s) are still there on w2.
    await waitFor('replacements on w1', async () => (await livePods('app=lost')).filter((p) => p.spec.nodeName === 'w1' && p.status.phase === 'Running').length === 2, 120_000);
    expect((await livePods('app=guarded')).map((p) => p.spec.nodeName)).toEqual(['w2', 'w2']);
    // The taint came a grace period (20 s) after w2's last heartbeat, which may precede the kill.
    const lastRenew = Date.parse((await json(['get', 'lease', '-n', 'kube-node-lease', 'w2'])).spec.renewTime);
    expect(lastRenew).toBeLessThanOrEqual(killedAt + 1000);
    expect(Date.parse(tainted.timeAdded)).toBeGreaterThanOrEqual(lastRenew + 20_000 - 1000);
  }, 300_000);
});

describe('CronJob schedule', () => {
  it('created a Job on the minute by itself, owned by the CronJob, with lastScheduleTime', async () => {
    const cronJob = await waitFor('the scheduled Job', async () => {
      const cj = await json(['get', 'cronjob', 'tick']);
      return cj.status?.lastScheduleTime && cj;
    }, 90_000, 2000);
    const scheduled = Date.parse(cronJob.status.lastScheduleTime);
    expect(scheduled % 60_000).toBe(0);
    const owned = await json(['get', 'job', `tick-${scheduled / 60_000}`]);
    expect(owned.metadata.ownerReferences[0]).toMatchObject({ kind: 'CronJob', name: 'tick', controller: true });
    expect(owned.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(cronJob.status.lastScheduleTime);
  }, 120_000);
});
