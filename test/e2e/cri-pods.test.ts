/**
 * Issue 12 acceptance (pods really run), through the built CLI (`npm run build` first), real
 * containerd 1.6, runc, the CNI plugins and the real kubectl: `init` on 127.0.0.130 and two
 * workers joined on .131/.132, each with its own node containerd; a busybox image built offline
 * and imported on each worker; a Deployment of two busybox httpd pods with a readiness probe;
 * logs, pod-to-pod traffic across nodes, a restart after a killed container, graceful deletion
 * and the ReplicaSet's replacement, a missing image, and a worker reset that leaves nothing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, tool } from '../helpers/cli.js';
import { startCriCluster, type CriCluster } from '../helpers/cri-cluster.js';
import { waitFor } from '../helpers/kubectl.js';
import { writeBusyboxImage } from '../helpers/images.js';
import { pidsMentioning } from '../helpers/processes.js';
import { nodeRuntimeLayout } from '../../src/agent/cri/layout.js';

const CP = '127.0.0.130';
const WORKERS = { w1: '127.0.0.131', w2: '127.0.0.132' } as const;
const IMAGE = 'docker.io/kubeforge/busybox:e2e';
const POD_NETWORK = '10.213.0.0/16';

let cluster: CriCluster;
let cp: string;
let scratch: string;
let imageArchive: string;
let resetW2 = '';
let rootOf: Record<string, string> = {};

const kubectl = (args: string[], input?: string, timeoutMs?: number) => cluster.kubectl(args, input, timeoutMs);
const json = (args: string[]) => cluster.kubectl.json(args);

/** What a node's runtime holds in the shared kernel: containers (runc), shims, mounts, bridge, rules. */
async function runtimeTraces(root: string) {
  const layout = nodeRuntimeLayout(root);
  const runcRoot = path.join(root, layout.stateDir, 'runc/k8s.io');
  const containers = (await tool('runc', ['--root', runcRoot, 'list', '-q'])).stdout.split('\n').filter(Boolean);
  const shims = await pidsMentioning(`-address ${path.join(root, layout.socket)}`);
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter((l) => l.split(' ')[1]?.startsWith(`${root}/`));
  const bridge = (await tool('ip', ['-o', 'link', 'show', layout.bridge])).stdout.trim();
  const veths = (await tool('ip', ['-o', 'link', 'show', 'master', layout.bridge])).stdout.trim();
  const rules = ['nat', 'filter'].map(async (t) => (await tool('iptables-save', ['-t', t])).stdout.split('\n').filter((l) => l.includes(layout.networkName)));
  return { containers, shims, mounts, bridge, veths, rules: (await Promise.all(rules)).flat() };
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector:
              matchLabels: {app: web}
            topologyKey: kubernetes.io/hostname
      containers:
      - name: httpd
        image: ${IMAGE}
        imagePullPolicy: IfNotPresent
        command: ["sh", "-c", "mkdir -p /www && echo hello from $(hostname) > /www/index.html && echo serving on $POD_IP && exec httpd -f -v -p 8080 -h /www"]
        env:
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        ports:
        - containerPort: 8080
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 2
`;

interface WebPod {
  name: string;
  node: string;
  ip: string;
  ready: boolean;
  restarts: number;
  containerID: string;
}

async function webPods(): Promise<WebPod[]> {
  const list = await json(['get', 'pods', '-l', 'app=web']);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return list.items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => ({
    name: p.metadata.name,
    node: p.spec.nodeName,
    ip: p.status.podIP,
    ready: p.status.containerStatuses?.[0]?.ready === true,
    restarts: p.status.containerStatuses?.[0]?.restartCount ?? 0,
    containerID: p.status.containerStatuses?.[0]?.containerID ?? '',
  }));
}

beforeAll(async () => {
  // A pod network of its own: clusters on one machine share its routing table, so another cluster
  // on the default 10.244.0.0/16 (`npm run up`, another test) must not take this one's pod routes.
  cluster = await startCriCluster({ prefix: 'kf-cri', controlPlane: { name: 'cp1', ip: CP }, workers: WORKERS, podNetworkCidr: POD_NETWORK });
  ({ cp, scratch, rootOf } = cluster);
  imageArchive = path.join(scratch, 'busybox.tar');
  await writeBusyboxImage(imageArchive, IMAGE);
}, 300_000);

afterAll(async () => {
  if (cluster) expect(await cluster.teardown()).toEqual({});
}, 300_000);

describe('pods run through CRI on a node-private containerd per node', () => {
  it('records the runtime as kubeadm does: kubeadm-flags.env, the cri-socket annotation, containerd:// in the Node status', async () => {
    const flags = await readFile(path.join(rootOf.w1!, 'var/lib/kubelet/kubeadm-flags.env'), 'utf8');
    const endpoint = `unix://${path.join(rootOf.w1!, 'run/kubeforge/containerd/containerd.sock')}`;
    expect(flags).toBe(`KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=${endpoint} --hostname-override=w1 --node-ip=${WORKERS.w1} --pod-infra-container-image=registry.k8s.io/pause:3.10"\n`);
    const node = await json(['get', 'node', 'w1']);
    expect(node.metadata.annotations['kubeadm.alpha.kubernetes.io/cri-socket']).toBe(endpoint);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
    expect(node.spec.podCIDR).toMatch(/^10\.213\.\d+\.0\/24$/);
  });

  it('imports the image on each worker; a truncated archive exits non-zero, names the file and imports nothing', async () => {
    const truncated = path.join(scratch, 'truncated.tar');
    await tool('sh', ['-c', `head -c 300000 ${imageArchive} > ${truncated}`]);
    const before = await kubeforge(['images', 'list', '--root', rootOf.w1!]);
    const bad = await kubeforge(['images', 'import', imageArchive, truncated, '--root', rootOf.w1!]);
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toContain(truncated);
    expect((await kubeforge(['images', 'list', '--root', rootOf.w1!])).stdout).toBe(before.stdout);
    expect(before.stdout).not.toContain('kubeforge/busybox');
    for (const name of Object.keys(WORKERS)) {
      const res = await kubeforge(['images', 'import', imageArchive, '--root', rootOf[name]!]);
      expect(res.exitCode, res.stderr).toBe(0);
      expect(res.stdout).toContain(`imported ${IMAGE}`);
      const list = await kubeforge(['images', 'list', '--root', rootOf[name]!]);
      expect(list.stdout).toMatch(/docker\.io\/kubeforge\/busybox\s+e2e\s/);
      expect(list.stdout).toMatch(/registry\.k8s\.io\/pause\s+3\.10\s/);
    }
  }, 180_000);

  it('rolls out a Deployment of 2: both pods 1/1 Running on different nodes with pod IPs', async () => {
    expect((await kubectl(['apply', '-f', '-'], DEPLOYMENT)).exitCode).toBe(0);
    // kubectl's own timeout decides (a sandbox can wait in back-off while the node's pause image is imported).
    const rollout = await kubectl(['rollout', 'status', 'deploy/web', '--timeout=180s'], undefined, 200_000);
    expect(rollout.exitCode, rollout.stderr).toBe(0);
    expect(rollout.stdout).toContain('successfully rolled out');
    const pods = await webPods();
    expect(pods).toHaveLength(2);
    expect(new Set(pods.map((p) => p.node))).toEqual(new Set(['w1', 'w2']));
    for (const p of pods) {
      expect(p.ready).toBe(true);
      expect(p.ip).toMatch(/^10\.213\.\d+\.\d+$/);
    }
    const wide = await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'wide']);
    console.log(wide.stdout);
    expect(wide.stdout.match(/1\/1\s+Running/g)).toHaveLength(2);
  }, 240_000);

  it('serves kubectl logs from the CRI log files (--tail, -c, --timestamps)', async () => {
    const [pod] = await webPods();
    const logs = await kubectl(['logs', pod!.name]);
    expect(logs.stdout.split('\n')[0]).toBe(`serving on ${pod!.ip}`);
    const tail = await kubectl(['logs', pod!.name, '-c', 'httpd', '--tail=1', '--timestamps']);
    expect(tail.stdout.trim().split('\n')).toHaveLength(1);
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z /);
  });

  it('reaches a pod on the other node from a pod (wget across bridges, also through kubectl exec) and from the host', async () => {
    const pods = await webPods();
    const target = pods.find((p) => p.node === 'w2')!;
    for (const p of pods) expect((await tool('curl', ['-s', '-m', '5', `http://${p.ip}:8080/`])).stdout.trim()).toBe(`hello from ${p.name}`);
    const client = `apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: w1
  restartPolicy: Never
  containers:
  - name: wget
    image: ${IMAGE}
    command: ["wget", "-qO-", "http://${target.ip}:8080/"]
`;
    expect((await kubectl(['apply', '-f', '-'], client)).exitCode).toBe(0);
    await waitFor('the client pod to succeed', async () => (await json(['get', 'pod', 'client'])).status.phase === 'Succeeded', 60_000);
    expect((await kubectl(['logs', 'client'])).stdout.trim()).toBe(`hello from ${target.name}`);
    // The form: kubectl exec in the pod on w1, wget to the pod on w2.
    const from = pods.find((p) => p.node === 'w1')!;
    const exec = await kubectl(['exec', from.name, '--', 'wget', '-qO-', `http://${target.ip}:8080/`]);
    expect(exec.exitCode, exec.stderr).toBe(0);
    expect(exec.stdout.trim()).toBe(`hello from ${target.name}`);
  }, 90_000);

  it('restarts a killed container: restartCount + 1, and --previous shows the killed one', async () => {
    const pod = (await webPods()).find((p) => p.node === 'w1')!;
    const id = pod.containerID.replace('containerd://', '');
    const runcRoot = path.join(rootOf.w1!, 'run/kubeforge/containerd/runc/k8s.io');
    const runc = await tool('runc', ['--root', runcRoot, 'state', id]);
    expect(runc.exitCode, runc.stderr).toBe(0);
    const state = JSON.parse(runc.stdout) as { pid: number };
    process.kill(state.pid, 'SIGKILL');
    const after = await waitFor('the restart', async () => (await webPods()).find((p) => p.name === pod.name && p.restarts === pod.restarts + 1 && p.ready), 90_000);
    expect(after.containerID).not.toBe(pod.containerID);
    expect((await kubectl(['logs', pod.name, '--previous'])).stdout).toContain(`serving on ${pod.ip}`);
  }, 120_000);

  it('deleting a pod stops its containers, then the ReplicaSet replacement runs', async () => {
    const pod = (await webPods()).find((p) => p.node === 'w2')!;
    const id = pod.containerID.replace('containerd://', '');
    const del = await kubectl(['delete', 'pod', pod.name, '--wait=true', '--timeout=60s']);
    expect(del.exitCode, del.stderr).toBe(0);
    const runcRoot = path.join(rootOf.w2!, 'run/kubeforge/containerd/runc/k8s.io');
    expect((await tool('runc', ['--root', runcRoot, 'list', '-q'])).stdout).not.toContain(id);
    const rollout = await kubectl(['rollout', 'status', 'deploy/web', '--timeout=120s'], undefined, 140_000);
    expect(rollout.exitCode, rollout.stderr).toBe(0);
    const pods = await webPods();
    expect(pods.map((p) => p.name)).not.toContain(pod.name);
    expect(pods.filter((p) => p.ready)).toHaveLength(2);
  }, 180_000);

  it('reports a missing image: ErrImagePull, then ImagePullBackOff, with the runtime message', async () => {
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: missing}
spec:
  nodeName: w1
  containers:
  - name: app
    image: registry.invalid/kubeforge/missing:1
`;
    expect((await kubectl(['apply', '-f', '-'], pod)).exitCode).toBe(0);
    const waiting = await waitFor('ImagePullBackOff', async () => {
      const w = (await json(['get', 'pod', 'missing'])).status.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ImagePullBackOff' ? w : undefined;
    }, 90_000);
    expect(waiting.message).toContain('registry.invalid/kubeforge/missing:1');
    expect((await json(['get', 'pod', 'missing'])).status.phase).toBe('Pending');
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=missing']);
    expect(events.stdout).toContain('Failed to pull image');
    expect((await kubectl(['delete', 'pod', 'missing', '--wait=true', '--timeout=60s'])).exitCode).toBe(0);
  }, 120_000);

  it('gives a pod its init container, env from a ConfigMap and a Secret, volumes, and a service-account token that authenticates', async () => {
    const objects = `apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello, file.txt: from-configmap}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: wired, labels: {role: demo}}
spec:
  nodeName: w1
  restartPolicy: Never
  initContainers:
  - name: prepare
    image: ${IMAGE}
    command: ["sh", "-c", "echo prepared > /work/ready"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: main
    image: ${IMAGE}
    workingDir: /work
    command: ["sh", "-c"]
    args: ["echo $(GREETING) $PASSWORD $NS $ROLE; cat ready /cfg/file.txt; echo; cat /info/labels; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/token"]
    env:
    - name: GREETING
      valueFrom: {configMapKeyRef: {name: settings, key: greeting}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: creds, key: password}}
    - name: NS
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: ROLE
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['role']"}}
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: cfg, mountPath: /cfg}
    - {name: info, mountPath: /info}
  volumes:
  - {name: work, emptyDir: {}}
  - {name: cfg, configMap: {name: settings}}
  - name: info
    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
`;
    const applied = await kubectl(['apply', '-f', '-'], objects);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const pod = await waitFor('the wired pod to succeed', async () => {
      const p = await json(['get', 'pod', 'wired']);
      if (p.status.phase === 'Failed') throw new Error(JSON.stringify(p.status));
      return p.status.phase === 'Succeeded' ? p : undefined;
    }, 90_000);
    expect(pod.status.initContainerStatuses[0].state.terminated.exitCode).toBe(0);
    expect(pod.status.conditions.find((c: { type: string }) => c.type === 'Initialized').status).toBe('True');
    const lines = (await kubectl(['logs', 'wired'])).stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual(['hello s3cret default demo', 'prepared', 'from-configmap', 'role="demo"', 'default']);
    const token = lines[5]!.trim();
    const whoami = await tool('kubectl', ['--server', `https://${CP}:6443`, '--certificate-authority', path.join(cp, 'etc/kubernetes/pki/ca.crt'), '--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(whoami.stdout, whoami.stderr).toBe('system:serviceaccount:default:default');
  }, 120_000);

  it('puts a crashing container in CrashLoopBackOff and a missing command in RunContainerError', async () => {
    const pods = `apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  nodeName: w1
  containers:
  - {name: app, image: ${IMAGE}, command: ["sh", "-c", "echo bye; exit 3"]}
---
apiVersion: v1
kind: Pod
metadata: {name: nocommand}
spec:
  nodeName: w1
  containers:
  - {name: app, image: ${IMAGE}, command: ["/no/such/program"]}
`;
    expect((await kubectl(['apply', '-f', '-'], pods)).exitCode).toBe(0);
    const crash = await waitFor('CrashLoopBackOff', async () => {
      const cs = (await json(['get', 'pod', 'crasher'])).status.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' ? cs : undefined;
    }, 90_000);
    expect(crash.lastState.terminated.exitCode).toBe(3);
    expect(crash.restartCount).toBeGreaterThanOrEqual(1);
    const missing = await waitFor('RunContainerError', async () => {
      const w = (await json(['get', 'pod', 'nocommand'])).status.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'RunContainerError' ? w : undefined;
    }, 60_000);
    expect(missing.message).toContain('/no/such/program');
    expect((await kubectl(['delete', 'pod', 'crasher', 'nocommand', '--wait=true', '--timeout=60s'])).exitCode).toBe(0);
  }, 180_000);

  it('resets w2 leaving no container, shim, sandbox, mount, veth, bridge or rule of it', async () => {
    const before = await runtimeTraces(rootOf.w2!);
    expect(before.bridge).toContain(`alias kubeforge:${rootOf.w2}`); // labelled with its root
    const reset = await kubeforge(['reset', '--root', rootOf.w2!, '-f']);
    resetW2 = reset.stderr;
    expect(reset.exitCode, reset.stderr.slice(-1000)).toBe(0);
    expect(await runtimeTraces(rootOf.w2!)).toEqual({ containers: [], shims: [], mounts: [], bridge: '', veths: '', rules: [] });
    expect(await pidsMentioning(rootOf.w2!)).toEqual([]);
    // w1's runtime is untouched by w2's reset.
    expect((await runtimeTraces(rootOf.w1!)).bridge).not.toBe('');
    expect(resetW2).toContain('Stopping the node containerd');
  }, 180_000);
});
