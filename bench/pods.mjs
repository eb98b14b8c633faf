// Benchmark: pods through CRI on one machine. `init` on 127.0.0.135 plus workers on .136/.137,
// each with its own containerd, a busybox image built offline and imported on all three, the
// control-plane taint removed so the three nodes take pods. Measures
//   - pod create → Running (p50) for a local image, against a baseline in the same run: the same
//     sandbox + container made with direct CRI calls on the same node (what the agent adds). The
//     pod is created through the API and watched from the resourceVersion of its creation, so the
//     figure holds no kubectl start-up or polling interval;
//   - N pods (a Deployment, default 100) across the 3 nodes until all are Running;
//   - a worker agent's RSS with none of the N pods and with its share of them (~30).
// Run `npm run build` first.   node bench/pods.mjs [pods]
// BENCH_LOGS=dir keeps each node's agent log (for profiling).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildOciArchive, busyboxEntries } from '../dist/agent/cri/oci-archive.js';
import { CriClient } from '../dist/agent/cri/client.js';
import { createHost } from '../dist/host/index.js';
import { loadKubeClient } from '../dist/kubeconfig/index.js';
import { median, removeDir, tempDir } from './lib.mjs';

const PODS = Number(process.argv[2] ?? 100);
const IPS = { cp1: '127.0.0.135', w1: '127.0.0.136', w2: '127.0.0.137' };
const IMAGE = 'docker.io/kubeforge/busybox:bench';
const KF = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../bin/kubeforge.js');

const roots = {};
const kf = (args) => {
  const r = spawnSync(process.execPath, [KF, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubeforge ${args.join(' ')}: ${r.stderr.slice(-800)}`);
  return r.stdout;
};
const kubectl = (args, input) => execFileSync('kubectl', ['--kubeconfig', `${roots.cp1}/etc/kubernetes/admin.conf`, ...args], { encoding: 'utf8', input });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const podRef = { version: 'v1', resource: 'pods', namespace: 'default' };

function podSpec(name, node) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'single' } },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  };
}

/** Epoch ms at which each single pod's create request went out. */
const createdAt = {};

/** Creates the pod and resolves with the ms from the create request until a watch shows it Running. */
async function createUntilRunning(client, pod, timeoutMs) {
  createdAt[pod.metadata.name] = Date.now();
  const start = performance.now();
  const created = await client.create(podRef, pod);
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const event of client.watch(podRef, { fieldSelector: `metadata.name=${pod.metadata.name}`, resourceVersion: created.metadata.resourceVersion }, signal)) {
    if (event.object.status?.phase === 'Running') return performance.now() - start;
  }
  throw new Error(`${pod.metadata.name}: not Running after ${timeoutMs} ms`);
}

async function untilRunning(client, selector, count, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A loaded API server may drop a keep-alive connection: that poll just counts as not yet.
    const listed = await client.list(podRef, { labelSelector: selector }).catch((err) => (err.status === 0 ? { items: [] } : Promise.reject(err)));
    const phases = listed.items.map((p) => p.status?.phase);
    if (phases.filter((p) => p === 'Running').length >= count) return;
    if (Date.now() > deadline) throw new Error(`${selector}: ${phases.length} pods, ${phases.filter((p) => p === 'Running').length} Running after ${timeoutMs} ms`);
    await sleep(250);
  }
}

const agentRssMb = (root) => {
  const { pid } = JSON.parse(readFileSync(`${root}/run/kubeforge/agent.pid`, 'utf8'));
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
};

/** The baseline: RunPodSandbox + CreateContainer + StartContainer straight to the worker's containerd. */
async function directCri(root, i) {
  const client = await CriClient.connect(`unix://${root}/run/kubeforge/containerd/containerd.sock`);
  const config = { metadata: { name: `direct-${i}`, uid: `direct-${i}`, namespace: 'bench', attempt: 0 }, hostname: `direct-${i}`, logDirectory: `${root}/var/log/pods/direct-${i}`, labels: { bench: 'direct' } };
  const start = performance.now();
  const { podSandboxId } = await client.call('RunPodSandbox', { config }, 60_000);
  const { containerId } = await client.call('CreateContainer', { podSandboxId, sandboxConfig: config, config: { metadata: { name: 'app', attempt: 0 }, image: { image: IMAGE }, command: ['sleep', '3600'], logPath: 'app/0.log' } });
  await client.call('StartContainer', { containerId });
  const ms = performance.now() - start;
  await client.call('StopPodSandbox', { podSandboxId });
  await client.call('RemovePodSandbox', { podSandboxId });
  client.close();
  return ms;
}

const scratch = await tempDir('kf-bench-pods-');
try {
  const archive = path.join(scratch, 'busybox.tar');
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).trim().split('\n');
  writeFileSync(archive, await buildOciArchive({ name: IMAGE, entries: busyboxEntries(readFileSync('/bin/busybox'), applets), cmd: ['sh'] }));
  roots.cp1 = await tempDir('kf-bench-cp1-');
  const init = kf(['init', '--root', roots.cp1, '--apiserver-advertise-address', IPS.cp1, '--node-name', 'cp1', '--ignore-preflight-errors=all']);
  const m = init.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
  const joinArgs = [...m[1].split(/\s+/), ...m[2].split(/\s+/)];
  for (const name of ['w1', 'w2']) {
    roots[name] = await tempDir(`kf-bench-${name}-`);
    kf([...joinArgs, '--root', roots[name], '--node-name', name, '--node-ip', IPS[name], '--ignore-preflight-errors', 'all']);
  }
  kubectl(['taint', 'nodes', 'cp1', 'node-role.kubernetes.io/control-plane:NoSchedule-']);
  for (const name of Object.keys(IPS)) {
    for (let i = 0; i < 150; i++) {
      try {
        kf(['images', 'import', archive, '--root', roots[name]]);
        break;
      } catch (err) {
        if (i === 149) throw err;
        await sleep(200); // the node containerd is still coming up
      }
    }
  }

  const client = await loadKubeClient(createHost(roots.cp1), '/etc/kubernetes/admin.conf');

  // 1. create → Running, one pod at a time on w1, and the direct CRI baseline.
  const single = [];
  const direct = [];
  for (let i = 0; i < 7; i++) {
    single.push(await createUntilRunning(client, podSpec(`single-${i}`, 'w1'), 60_000));
    direct.push(await directCri(roots.w1, i));
  }
  // The agent's Events are named <pod>.<hex nanoseconds>: when it got the image (after the
  // sandbox), created and started the container, each from the create request, as medians.
  const eventMs = {};
  for (const e of (await client.list({ version: 'v1', resource: 'events', namespace: 'default' })).items) {
    const pod = e.involvedObject.name;
    if (!createdAt[pod] || !['Pulled', 'Created', 'Started'].includes(e.reason)) continue;
    const at = Number(BigInt(`0x${e.metadata.name.slice(pod.length + 1)}`) / 1_000_000n);
    (eventMs[e.reason] ??= []).push(at - createdAt[pod]);
  }
  kubectl(['delete', 'pods', '-l', 'bench=single', '--wait=true']);
  await sleep(5000); // the deleted pods' teardown settles before the idle figure
  const idleRss = agentRssMb(roots.w1);

  // 2. N pods across the three nodes.
  const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: many}
spec:
  replicas: ${PODS}
  selector: {matchLabels: {bench: many}}
  template:
    metadata: {labels: {bench: many}}
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{name: app, image: ${IMAGE}, imagePullPolicy: IfNotPresent, command: ["sleep", "3600"]}]
`;
  const manyStart = performance.now();
  const manyEpoch = Date.now();
  kubectl(['apply', '-f', '-'], deploy);
  await untilRunning(client, 'bench=many', PODS, 600_000);
  const manyMs = performance.now() - manyStart;
  const many = (await client.list(podRef, { labelSelector: 'bench=many' })).items;
  const perNode = many.reduce((acc, p) => ({ ...acc, [p.spec.nodeName]: (acc[p.spec.nodeName] ?? 0) + 1 }), {});
  // Where the time went, from the pods' own timestamps (whole seconds): the last pod created by the
  // ReplicaSet, scheduled, picked up by its agent (startTime) and with its container started.
  const last = (times) => `${((Math.max(...times.map((t) => Date.parse(t))) - manyEpoch) / 1000).toFixed(0)} s`;
  const stages = {
    created: last(many.map((p) => p.metadata.creationTimestamp)),
    scheduled: last(many.map((p) => p.status.conditions.find((c) => c.type === 'PodScheduled').lastTransitionTime)),
    'agent started': last(many.map((p) => p.status.startTime)),
    'container started': last(many.map((p) => p.status.containerStatuses[0].state.running.startedAt)),
  };

  // 3. the agent's RSS on w1 with its share of the pods: when all run, and once they settled.
  const busyRss = agentRssMb(roots.w1);
  await sleep(15_000);
  const settledRss = agentRssMb(roots.w1);
  client.close();

  const p50 = median(single);
  const base = median(direct);
  console.log(`pod create → Running (local image, 7 runs): p50 ${p50.toFixed(0)} ms (runs ${single.map((t) => t.toFixed(0)).join(', ')}); direct CRI sandbox+container p50 ${base.toFixed(0)} ms; ratio ${(p50 / base).toFixed(2)}x`);
  console.log(`  from the create request: image ready (sandbox made) ${median(eventMs.Pulled ?? [0]).toFixed(0)} ms, container created ${median(eventMs.Created ?? [0]).toFixed(0)} ms, started ${median(eventMs.Started ?? [0]).toFixed(0)} ms, Running seen ${p50.toFixed(0)} ms`);
  console.log(`${PODS} pods across 3 nodes all Running: ${(manyMs / 1000).toFixed(1)} s (${JSON.stringify(perNode)}); ${(manyMs / PODS).toFixed(0)} ms per pod, ${((manyMs / PODS) / base).toFixed(2)}x the direct CRI pod; the last pod ${Object.entries(stages).map(([k, v]) => `${k} at ${v}`).join(', ')}`);
  console.log(`agent RSS on w1: ${idleRss.toFixed(1)} MB with none of them, ${busyRss.toFixed(1)} MB with ${perNode.w1 ?? 0} pods when all run, ${settledRss.toFixed(1)} MB 15 s later`);
} finally {
  if (process.env.BENCH_LOGS) for (const [name, root] of Object.entries(roots)) spawnSync('cp', [`${root}/var/log/kubeforge/agent.log`, `${process.env.BENCH_LOGS}/${name}.log`]);
  for (const name of ['w2', 'w1', 'cp1']) {
    if (!roots[name]) continue;
    spawnSync(process.execPath, [KF, 'reset', '--root', roots[name], '-f'], { encoding: 'utf8' });
    await removeDir(roots[name]);
  }
  await removeDir(scratch);
}
