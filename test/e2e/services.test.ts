/**
 * Issue 14 (Services, cluster DNS) through the built CLI (`npm run build` first), real
 * containerd, iptables and kubectl, and kubeadm's own add-ons: `init` on 127.0.0.150 and two
 * workers on .151/.152 (pod network 10.215.0.0/16, services 10.115.0.0/16), busybox built
 * offline. kube-proxy runs as kubeadm's DaemonSet from the bundled image (the host's iptables
 * mounted in), CoreDNS as kubeadm's Deployment; the test starts no proxy of its own. A
 * Deployment of two httpd pods is exposed; a pod reaches it by ClusterIP and by name through
 * the kube-dns ClusterIP, a pod calls https://kubernetes.default.svc with its service-account
 * token, the Deployment scales to 5 and back with no failed request, a NodePort answers on a
 * node address, a Service selecting nothing and a port name no container has are refused at
 * once, the three proxies converge on one rule set, a deleted renderer pod ends at once and
 * another takes over, and after reset no rule of the cluster is left in the kernel.
 *
 * The nodes' resolvConf names this machine's own address, where no DNS server listens: names
 * outside the cluster are never sent off this machine.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, tempRoot, tool } from '../helpers/cli.js';
import { machineAddress } from '../helpers/e2e-cluster.js';
import { kubectlWith, waitFor } from '../helpers/kubectl.js';
import { writeBusyboxImage } from '../helpers/images.js';
import { pidsMentioning } from '../helpers/processes.js';

const NODES = { cp1: '127.0.0.150', w1: '127.0.0.151', w2: '127.0.0.152' } as const;
type NodeName = keyof typeof NODES;
const IMAGE = 'docker.io/kubeforge/busybox:e2e';

const roots: Partial<Record<NodeName, string>> = {};
const cleanups: Array<() => Promise<void>> = [];
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

const proxyPods = async (): Promise<Array<{ metadata: { name: string; uid: string }; spec: { nodeName: string }; status: { phase: string } }>> =>
  (await json(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-proxy'])).items;

/** The kube-proxy pods whose log says they render this cluster's rules. */
async function renderers(): Promise<string[]> {
  const found = [];
  for (const pod of await proxyPods()) if ((await kubectl(['-n', 'kube-system', 'logs', pod.metadata.name])).stdout.includes('rendering the')) found.push(pod.metadata.name);
  return found;
}

/** Runs a pod to completion on w1 and returns its log (phase Failed throws with the log). */
async function runPod(name: string, image: string, command: string[]): Promise<string> {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'w1', restartPolicy: 'Never', containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent', command }] } };
  const applied = await kubectl(['apply', '-f', '-'], JSON.stringify(pod));
  expect(applied.exitCode, applied.stderr).toBe(0);
  const phase = await waitFor(`pod ${name} to finish`, async () => {
    const p = (await json(['get', 'pod', name])).status.phase;
    return p === 'Succeeded' || p === 'Failed' ? p : undefined;
  }, 120_000);
  const log = (await kubectl(['logs', name])).stdout;
  if (phase === 'Failed') throw new Error(`pod ${name} failed:\n${log}`);
  return log;
}

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
  const resolvConf = path.join(scratch, 'resolv.conf');
  await writeFile(resolvConf, `nameserver ${machineAddress()}\nsearch example.test\n`);
  const config = path.join(scratch, 'kubeadm.yaml');
  await writeFile(config, `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: ${NODES.cp1}}
nodeRegistration: {name: cp1}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking: {podSubnet: 10.215.0.0/16, serviceSubnet: 10.115.0.0/16}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
resolvConf: ${resolvConf}
`);
  roots.cp1 = await newRoot('kf-svc-cp-');
  const init = await kubeforge(['init', '--root', cp(), '--config', config, '--ignore-preflight-errors=all']);
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
}, 300_000);

afterAll(async () => {
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

describe('Services: EndpointSlices, kubeadm\'s kube-proxy DaemonSet and CoreDNS', () => {
  it('runs kube-proxy on every node and CoreDNS from the bundled images; one proxy renders the cluster\'s rules', async () => {
    const ds = await kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-proxy', '--timeout=240s'], undefined, 260_000);
    const dns = ds.exitCode === 0 ? await kubectl(['-n', 'kube-system', 'rollout', 'status', 'deploy/coredns', '--timeout=240s'], undefined, 260_000) : ds;
    if (dns.exitCode !== 0) console.log((await kubectl(['get', 'pods', '-A', '-o', 'wide'])).stdout, (await kubectl(['-n', 'kube-system', 'describe', 'pods'])).stdout.slice(-6000));
    expect(dns.exitCode, dns.stderr).toBe(0);
    const pods = await proxyPods();
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['cp1', 'w1', 'w2']);
    const rendering = await waitFor('one kube-proxy to render the rules', async () => {
      const found = await renderers();
      return found.length === 1 ? found : undefined;
    }, 60_000);
    expect(rendering).toHaveLength(1);
    const hookLines = async () => (await clusterRules()).filter((l) => l.includes(`kubeforge ${prefix} service portals`));
    await waitFor('the 7 hooks into the cluster\'s chains', async () => (await hookLines()).length === 7, 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${(await hookLines()).join('\n')}\n${(await kubectl(['-n', 'kube-system', 'logs', rendering[0]!])).stdout}`);
    });
    const standby = pods.find((p) => p.metadata.name !== rendering[0])!;
    expect((await kubectl(['-n', 'kube-system', 'logs', standby.metadata.name])).stdout).not.toContain('KF_PROXY_IPTABLES');
  }, 540_000);

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

  it('answers on the ClusterIP from the host, and from a pod by ClusterIP and by name through the kube-dns ClusterIP', async () => {
    const ip = await clusterIP('web');
    expect(ip).toMatch(/^10\.115\./);
    const fromHost = await waitFor('the ClusterIP to answer from the host', async () => {
      const r = await tool('curl', ['-s', '-m', '3', `http://${ip}/`]);
      return r.stdout.startsWith('hello from web-') ? r.stdout : undefined;
    }, 30_000);
    expect(fromHost).toMatch(/^hello from web-/);
    const script = `cat /etc/resolv.conf; echo ---; wget -qO- http://${ip}/; echo ---; nslookup web.default.svc.cluster.local; echo ---; wget -qO- http://web.default.svc.cluster.local/; echo ---; wget -qO- http://web/`;
    const out = (await runPod('probe', IMAGE, ['sh', '-c', script])).split('---\n');
    console.log(out.join('---\n'));
    expect(out[0]).toContain('nameserver 10.115.0.10');
    expect(out[1]).toMatch(/^hello from web-/);
    expect(out[2]).toContain(`Address: ${ip}`);
    expect(out[3]).toMatch(/^hello from web-/);
    expect(out[4]).toMatch(/^hello from web-/);
  }, 150_000);

  it('a pod calls https://kubernetes.default.svc with its service-account token and is authenticated', async () => {
    // The bundled kube-proxy image has node in it: a real TLS client that checks the CA.
    const image = (await json(['-n', 'kube-system', 'get', 'ds', 'kube-proxy'])).spec.template.spec.containers[0].image;
    const client = `const d = '/var/run/secrets/kubernetes.io/serviceaccount/';
const fs = require('fs');
const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
const req = require('https').request({ host: 'kubernetes.default.svc', port: 443, method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  ca: fs.readFileSync(d + 'ca.crt'), headers: { authorization: 'Bearer ' + fs.readFileSync(d + 'token', 'utf8').trim(), 'content-type': 'application/json' } }, (res) => {
  const peer = res.socket.remoteAddress;
  let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => console.log(res.statusCode, peer, JSON.stringify(JSON.parse(text).status)));
});
req.on('error', (e) => { console.log('error', e.message); process.exit(1); });
req.end(body);`;
    const out = await runPod('in-cluster', image, ['/opt/kubeforge/bin/node', '-e', client]);
    console.log(out);
    const service = await clusterIP('kubernetes');
    expect(out).toContain(`201 ${service} `);
    expect(JSON.parse(out.slice(out.indexOf('{')))).toMatchObject({ userInfo: { username: 'system:serviceaccount:default:default' } });
  }, 150_000);

  it('keeps answering with no failed request while the Deployment scales to 5 and back to 2', async () => {
    const ip = await clusterIP('web');
    const client = `apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: w1
  # Its shell is PID 1 without a TERM trap, so SIGTERM does nothing: deletion must SIGKILL after 3 s.
  terminationGracePeriodSeconds: 3
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
    const started = Date.now();
    expect((await kubectl(['delete', 'pod', 'client', '--timeout=60s'], undefined, 70_000)).exitCode).toBe(0);
    console.log(`client (ignores SIGTERM, grace 3 s) deleted in ${Date.now() - started} ms`);
    expect(Date.now() - started).toBeLessThan(20_000);
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

  it('mirrors the Endpoints a user writes for a selector-less Service into an EndpointSlice, which the proxy serves', async () => {
    const podIP = (await json(['get', 'pods', '-l', 'app=web'])).items[0].status.podIP;
    const manual = `apiVersion: v1
kind: Service
metadata: {name: manual}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: manual, labels: {team: a}}
subsets:
- addresses: [{ip: ${podIP}}]
  ports: [{name: http, port: 8080}]
`;
    expect((await kubectl(['apply', '-f', '-'], manual)).exitCode).toBe(0);
    const slice = await waitFor('the mirrored EndpointSlice', async () => (await json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=manual'])).items[0], 30_000);
    expect(slice.metadata.labels).toMatchObject({ team: 'a', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' });
    expect(slice.endpoints).toEqual([{ addresses: [podIP], conditions: { ready: true } }]);
    const ip = await clusterIP('manual');
    await waitFor('the mirrored endpoint to answer on the ClusterIP', async () => (await tool('curl', ['-s', '-m', '3', `http://${ip}/`])).stdout.startsWith('hello from web-'), 30_000);
  }, 90_000);

  it('a deleted renderer pod ends at once (SIGTERM), another proxy takes over; reset keeps the rules while another node still proxies', async () => {
    const [renderer] = await renderers();
    const started = Date.now();
    const deleted = await kubectl(['-n', 'kube-system', 'delete', 'pod', renderer!, '--timeout=60s'], undefined, 70_000);
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    const deletion = Date.now() - started;
    console.log(`kube-proxy pod ${renderer} deleted in ${deletion} ms`);
    // Well inside its 30 s grace period: the bundled component exits on SIGTERM.
    expect(deletion).toBeLessThan(20_000);
    await waitFor('another proxy to take over', async () => (await renderers()).find((n) => n !== renderer), 60_000);
    // A change after the take-over is applied by the new renderer.
    expect((await kubectl(['create', 'service', 'clusterip', 'later', '--tcp=81:8080'])).exitCode).toBe(0);
    const ip = await clusterIP('later');
    await waitFor('the new Service rejected by the new renderer', async () => (await clusterRules()).some((l) => l.includes(`-d ${ip}/32`)), 30_000);
    console.log((await kubectl(['get', 'pods', '-A', '-o', 'wide'])).stdout);
    // w2's proxy stops with its node; the others keep the cluster's rules in place.
    const reset = await kubeforge(['reset', '--root', roots.w2!, '-f']);
    expect(reset.exitCode, reset.stderr.slice(-1000)).toBe(0);
    delete roots.w2;
    expect(reset.stderr).toContain(`Keeping the kube-proxy rules ${prefix}`);
    expect((await clusterRules()).length).toBeGreaterThan(0);
  }, 180_000);
});
