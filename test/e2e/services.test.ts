/**
 * Issue 14 (Services): EndpointSlices and the bundled kube-proxy, through the built CLI
 * (`npm run build` first), real containerd, iptables and kubectl. `init` on 127.0.0.150 and two
 * workers on .151/.152 (pod network 10.215.0.0/16, services 10.115.0.0/16), busybox built
 * offline; each node runs `kubeforge component kube-proxy` with the kube-proxy ConfigMap's
 * config.conf and the kube-proxy ServiceAccount's token, as kubeadm's DaemonSet would (the
 * test starts and kills them by pid). A Deployment of two httpd pods is exposed; a pod and the
 * host reach it through the ClusterIP while it scales to 5 and back, a NodePort answers on a
 * node address, a Service selecting nothing and a port name no container has are refused at
 * once, the three proxies converge on one rule set, and after reset no rule of the cluster is
 * left in the kernel.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, kubeforgeBin, tempRoot, tool } from '../helpers/cli.js';
import { kubectlWith, waitFor } from '../helpers/kubectl.js';
import { writeBusyboxImage } from '../helpers/images.js';
import { pidsMentioning } from '../helpers/processes.js';

const NODES = { cp1: '127.0.0.150', w1: '127.0.0.151', w2: '127.0.0.152' } as const;
type NodeName = keyof typeof NODES;
const IMAGE = 'docker.io/kubeforge/busybox:e2e';

const roots: Partial<Record<NodeName, string>> = {};
const cleanups: Array<() => Promise<void>> = [];
const proxies: Partial<Record<NodeName, number>> = {};
let scratch: string;
let prefix: string;

const cp = () => roots.cp1!;
const kubectl = kubectlWith(() => `${cp()}/etc/kubernetes/admin.conf`);
const json = kubectl.json;

/** Every iptables line (nat and filter) that names this cluster's chains. */
async function clusterRules(): Promise<string[]> {
  const lines = await Promise.all(['nat', 'filter'].map(async (t) => (await tool('iptables-save', ['-t', t])).stdout.split('\n')));
  return lines.flat().filter((l) => l.includes(`${prefix}-`));
}

/** Starts kube-proxy for a node as its DaemonSet pod would run (hostNetwork, the ConfigMap's files). */
async function startProxy(node: NodeName): Promise<void> {
  const dir = path.join(roots[node]!, 'var/lib/kube-proxy');
  await mkdir(dir, { recursive: true });
  const configMap = await json(['get', 'configmap', 'kube-proxy', '-n', 'kube-system']);
  const token = await kubectl(['create', 'token', 'kube-proxy', '-n', 'kube-system', '--duration=2h']);
  expect(token.exitCode, token.stderr).toBe(0);
  await writeFile(path.join(dir, 'token'), token.stdout.trim());
  await writeFile(path.join(dir, 'ca.crt'), await readFile(path.join(cp(), 'etc/kubernetes/pki/ca.crt')));
  const kubeconfig = yaml.load(configMap.data['kubeconfig.conf']) as { clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }> };
  kubeconfig.clusters[0]!.cluster['certificate-authority'] = path.join(dir, 'ca.crt');
  kubeconfig.users[0]!.user.tokenFile = path.join(dir, 'token');
  await writeFile(path.join(dir, 'kubeconfig.conf'), yaml.dump(kubeconfig));
  const config = yaml.load(configMap.data['config.conf']) as { clientConnection: { kubeconfig: string } };
  config.clientConnection.kubeconfig = path.join(dir, 'kubeconfig.conf');
  await writeFile(path.join(dir, 'config.conf'), yaml.dump(config));
  const log = await open(path.join(scratch, `kube-proxy-${node}.log`), 'a');
  const child = spawn(process.execPath, [kubeforgeBin, 'component', 'kube-proxy', `--config=${path.join(dir, 'config.conf')}`, `--hostname-override=${node}`, '--v=2'], { stdio: ['ignore', log.fd, log.fd], env: { ...process.env, NO_COLOR: '1' } });
  await log.close();
  proxies[node] = child.pid!;
}

function stopProxy(node: NodeName): void {
  const pid = proxies[node];
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  delete proxies[node];
}

const proxyLog = (node: NodeName) => readFile(path.join(scratch, `kube-proxy-${node}.log`), 'utf8').catch(() => '');

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: httpd
        image: ${IMAGE}
        imagePullPolicy: IfNotPresent
        # Serves on for a few seconds after SIGTERM, so no request fails while the endpoint drains.
        command: ["sh", "-c", "mkdir -p /www && echo hello from $(hostname) > /www/index.html && httpd -f -p 8080 -h /www & pid=$!; trap 'sleep 4; kill $pid; exit 0' TERM; wait $pid"]
        ports:
        - {name: http, containerPort: 8080}
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
`;

const clusterIP = async (service: string): Promise<string> => (await json(['get', 'service', service])).spec.clusterIP;

beforeAll(async () => {
  const newRoot = async (p: string) => {
    const { dir, cleanup } = await tempRoot(p);
    cleanups.push(cleanup);
    return dir;
  };
  scratch = await newRoot('kf-svc-scratch-');
  const archive = path.join(scratch, 'busybox.tar');
  await writeBusyboxImage(archive, IMAGE);
  roots.cp1 = await newRoot('kf-svc-cp-');
  const init = await kubeforge(['init', '--root', cp(), '--apiserver-advertise-address', NODES.cp1, '--node-name', 'cp1', '--pod-network-cidr', '10.215.0.0/16', '--service-cidr', '10.115.0.0/16', '--ignore-preflight-errors=all']);
  expect(init.exitCode, init.stderr.slice(-2000)).toBe(0);
  const printed = init.stdout.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
  const joinArgs = [...printed![1]!.split(/\s+/), ...printed![2]!.split(/\s+/)];
  for (const node of ['w1', 'w2'] as const) {
    roots[node] = await newRoot(`kf-svc-${node}-`);
    const join = await kubeforge([...joinArgs, '--root', roots[node]!, '--node-name', node, '--node-ip', NODES[node], '--ignore-preflight-errors', 'all']);
    expect(join.exitCode, join.stderr.slice(-2000)).toBe(0);
    const imported = await kubeforge(['images', 'import', archive, '--root', roots[node]!]);
    expect(imported.exitCode, imported.stderr).toBe(0);
  }
  const ca = await readFile(path.join(cp(), 'etc/kubernetes/pki/ca.crt'), 'utf8');
  const der = Buffer.from(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END/.exec(ca)![1]!.replace(/\s+/g, ''), 'base64');
  prefix = `KF${createHash('sha256').update(der).digest('hex').slice(0, 6).toUpperCase()}`;
  for (const node of Object.keys(NODES) as NodeName[]) await startProxy(node);
}, 300_000);

afterAll(async () => {
  for (const node of Object.keys(proxies) as NodeName[]) stopProxy(node);
  const leftovers: Record<string, unknown> = {};
  for (const node of ['w2', 'w1', 'cp1'] as const) {
    if (!roots[node]) continue;
    const reset = await kubeforge(['reset', '--root', roots[node]!, '-f']);
    if (reset.exitCode !== 0) leftovers[`${node} reset exit ${reset.exitCode}: ${reset.stderr.slice(-300)}`] = [];
    const pids = await pidsMentioning(roots[node]!);
    if (pids.length) leftovers[node] = pids;
  }
  if (prefix) {
    const rules = await clusterRules();
    if (rules.length) leftovers['iptables rules of the cluster'] = rules;
  }
  for (const cleanup of cleanups) await cleanup();
  expect(leftovers).toEqual({});
}, 300_000);

describe('Services: EndpointSlices and kube-proxy', () => {
  it('exposes a Deployment; its EndpointSlice and the kubernetes one are visible with kubectl', async () => {
    expect((await kubectl(['apply', '-f', '-'], WEB)).exitCode).toBe(0);
    const rollout = await kubectl(['rollout', 'status', 'deploy/web', '--timeout=180s'], undefined, 200_000);
    if (rollout.exitCode !== 0) console.log((await kubectl(['get', 'pods', '-o', 'wide'])).stdout, (await kubectl(['get', 'events'])).stdout);
    expect(rollout.exitCode, rollout.stderr).toBe(0);
    const expose = await kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=http']);
    expect(expose.exitCode, expose.stderr).toBe(0);
    const slices = await waitFor('the web EndpointSlice with 2 ready endpoints', async () => {
      const list = await json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return list.items.length === 1 && list.items[0].endpoints?.filter((e: any) => e.conditions.ready).length === 2 ? list.items : undefined;
    }, 30_000);
    expect(slices[0].metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
    expect(slices[0].ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
    const table = await kubectl(['get', 'endpointslices']);
    console.log(table.stdout);
    expect(table.stdout).toMatch(/^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/m);
    expect(table.stdout).toMatch(/^kubernetes\s+IPv4\s+6443\s+127\.0\.0\.150\s/m);
    expect(table.stdout).toMatch(/^web-\S+\s+IPv4\s+8080\s+10\.215\.\d+\.\d+,10\.215\.\d+\.\d+\s/m);
    const endpoints = await json(['get', 'endpoints', 'web']);
    expect(endpoints.subsets[0].addresses).toHaveLength(2);
  }, 240_000);

  it('answers on the ClusterIP from the host and from a pod; the proxies of three nodes converge on one rule set', async () => {
    const ip = await clusterIP('web');
    expect(ip).toMatch(/^10\.115\./);
    const fromHost = await waitFor('the ClusterIP to answer from the host', async () => {
      const r = await tool('curl', ['-s', '-m', '3', `http://${ip}/`]);
      return r.stdout.startsWith('hello from web-') ? r.stdout : undefined;
    }, 30_000);
    expect(fromHost).toMatch(/^hello from web-/);
    const renderers = [];
    for (const node of Object.keys(NODES) as NodeName[]) if ((await proxyLog(node)).includes('rendering the')) renderers.push(node);
    expect(renderers).toHaveLength(1);
    const entries = (await clusterRules()).filter((l) => l.includes(`kubeforge ${prefix} service portals`));
    expect(entries).toHaveLength(7);
    const client = `apiVersion: v1
kind: Pod
metadata: {name: probe}
spec:
  nodeName: w1
  restartPolicy: Never
  containers:
  - name: wget
    image: ${IMAGE}
    command: ["wget", "-qO-", "http://${ip}/"]
`;
    expect((await kubectl(['apply', '-f', '-'], client)).exitCode).toBe(0);
    await waitFor('the probe pod to succeed', async () => {
      const phase = (await json(['get', 'pod', 'probe'])).status.phase;
      if (phase === 'Failed') throw new Error('the probe pod failed');
      return phase === 'Succeeded';
    }, 90_000);
    expect((await kubectl(['logs', 'probe'])).stdout).toMatch(/^hello from web-/);
  }, 150_000);

  it('keeps answering with no failed request while the Deployment scales to 5 and back to 2', async () => {
    const ip = await clusterIP('web');
    const client = `apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: w1
  containers:
  - name: wget
    image: ${IMAGE}
    command: ["sh", "-c", "while true; do timeout 3 wget -qO- http://${ip}/ || echo FAIL; sleep 0.1; done"]
`;
    expect((await kubectl(['apply', '-f', '-'], client)).exitCode).toBe(0);
    const logLines = async () => (await kubectl(['logs', 'client'])).stdout.split('\n').filter(Boolean);
    // The scaling is what is measured: from the first answer the client gets on (its first
    // requests may go out before its node's proxy rules or pod network are in place).
    await waitFor('the client to get answers', async () => (await logLines()).filter((l) => l.startsWith('hello')).length >= 5, 90_000);
    const start = (await logLines()).length;
    expect((await kubectl(['scale', 'deploy/web', '--replicas=5'])).exitCode).toBe(0);
    expect((await kubectl(['rollout', 'status', 'deploy/web', '--timeout=180s'], undefined, 200_000)).exitCode).toBe(0);
    await waitFor('answers from at least 4 of the 5 pods', async () => new Set((await logLines()).filter((l) => l.startsWith('hello'))).size >= 4, 60_000);
    expect((await kubectl(['scale', 'deploy/web', '--replicas=2'])).exitCode).toBe(0);
    await waitFor('3 pods gone', async () => (await json(['get', 'pods', '-l', 'app=web'])).items.length === 2, 120_000);
    const seen = (await logLines()).length;
    await waitFor('more answers after the scale-down', async () => (await logLines()).length >= seen + 10, 30_000);
    const lines = (await logLines()).slice(start);
    console.log(`client: ${lines.length} requests while scaling, ${new Set(lines).size} distinct answers`);
    const failed = lines.map((l, i) => [i, l] as const).filter(([, l]) => !l.startsWith('hello from web-'));
    expect(failed, `failed requests (index of ${lines.length}, line): ${JSON.stringify(failed.slice(0, 10))}`).toEqual([]);
    expect((await kubectl(['delete', 'pod', 'client', '--wait=false'])).exitCode).toBe(0);
  }, 420_000);

  it('answers on a NodePort at each node address (127.0.0.N, as localhost node ports)', async () => {
    const expose = await kubectl(['expose', 'deployment', 'web', '--name=web-np', '--type=NodePort', '--port=80', '--target-port=8080']);
    expect(expose.exitCode, expose.stderr).toBe(0);
    const nodePort = (await json(['get', 'service', 'web-np'])).spec.ports[0].nodePort;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    for (const address of [NODES.w2, NODES.cp1]) {
      await waitFor(`the NodePort on ${address}`, async () => (await tool('curl', ['-s', '-m', '3', `http://${address}:${nodePort}/`])).stdout.startsWith('hello from web-'), 30_000);
    }
  }, 90_000);

  it('refuses at once a Service selecting nothing and a port name no container has (REJECT, not a hang)', async () => {
    expect((await kubectl(['create', 'service', 'clusterip', 'nothing', '--tcp=80:8080'])).exitCode).toBe(0);
    const bad = `apiVersion: v1
kind: Service
metadata: {name: badport}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: no-such-port}]
`;
    expect((await kubectl(['apply', '-f', '-'], bad)).exitCode).toBe(0);
    const badSlice = await waitFor('the badport EndpointSlice', async () => (await json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=badport'])).items[0], 30_000);
    // Upstream: the pods are listed, but without the port no container names.
    expect(badSlice.ports ?? []).toEqual([]);
    for (const service of ['nothing', 'badport']) {
      const ip = await clusterIP(service);
      const refused = await waitFor(`${service} refused`, async () => {
        const started = Date.now();
        const r = await tool('curl', ['-s', '-m', '10', `http://${ip}/`]);
        // curl exit 7: connection refused (the REJECT's ICMP port unreachable); 28 would be a timeout.
        return r.exitCode === 7 ? Date.now() - started : undefined;
      }, 30_000);
      expect(refused).toBeLessThan(2000);
    }
  }, 90_000);

  it('a standby proxy takes over when the renderer dies; reset keeps the rules while another node still proxies', async () => {
    const renderer = (await Promise.all((Object.keys(NODES) as NodeName[]).map(async (n) => ((await proxyLog(n)).includes('rendering the') ? n : undefined)))).find(Boolean)!;
    stopProxy(renderer);
    await waitFor('another proxy to take over', async () => {
      for (const n of Object.keys(proxies) as NodeName[]) if ((await proxyLog(n)).includes('rendering the')) return n;
      return undefined;
    }, 30_000);
    // A change after the take-over is applied by the new renderer.
    expect((await kubectl(['create', 'service', 'clusterip', 'later', '--tcp=81:8080'])).exitCode).toBe(0);
    const ip = await clusterIP('later');
    await waitFor('the new Service rejected by the new renderer', async () => (await clusterRules()).some((l) => l.includes(`-d ${ip}/32`)), 30_000);
    // w2's proxy stops with its node; the others keep the cluster's rules in place.
    stopProxy('w2');
    const reset = await kubeforge(['reset', '--root', roots.w2!, '-f']);
    expect(reset.exitCode, reset.stderr.slice(-1000)).toBe(0);
    delete roots.w2;
    expect(reset.stderr).toContain(`Keeping the kube-proxy rules ${prefix}`);
    expect((await clusterRules()).length).toBeGreaterThan(0);
  }, 120_000);
});
