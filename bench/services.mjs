// Benchmark: Services through the bundled kube-proxy (iptables mode). Two parts:
//   1. the proxy alone, on this machine's kernel under a bench-only chain prefix: 1,000 Services
//      × 2 endpoints rendered (pure) and applied with one iptables-restore (full sync), then one
//      endpoint changed and applied incrementally; baseline in the same run: iptables-restore of
//      the same number of plain rules into one chain (what the kernel side costs by itself).
//   2. a cluster (init on 127.0.0.155 + a worker on .156, the worker's containerd, busybox built
//      offline, kube-proxy run as a process per node): Service create → first answer through its
//      ClusterIP (p50 of 10), against the same request sent straight to a pod IP.
// Run `npm run build` first (root, iptables, containerd).   node bench/services.mjs [services] [--no-cluster]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { createHost } from '../dist/host/index.js';
import { createLogger } from '../dist/log.js';
import { localNodes, proxyServicePorts } from '../dist/proxy/endpoints.js';
import { IptablesProxier, removeProxyRules } from '../dist/proxy/iptables.js';
import { RenderCache, renderRules } from '../dist/proxy/rules.js';
import { buildOciArchive, busyboxEntries } from '../dist/agent/cri/oci-archive.js';
import { median, removeDir, tempDir } from './lib.mjs';

const SERVICES = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1000);
const PREFIX = 'KFBENCH1';
const host = createHost('/');
const log = createLogger({ verbosity: 0 });
const line = (label, value, extra = '') => console.log(`${label.padEnd(52)} ${value.toFixed(1).padStart(9)} ms${extra}`);

function clusterObjects(endpointsOf) {
  const services = [];
  const slices = [];
  for (let i = 0; i < SERVICES; i++) {
    const name = `svc-${i}`;
    services.push({ metadata: { name, namespace: 'bench' }, spec: { clusterIP: `10.116.${i >> 8}.${i & 255}`, type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30000 + (i % 2700) }] } });
    slices.push({ metadata: { name: `${name}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: endpointsOf(i).map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'bench' })) });
  }
  return { services, slices };
}
const ips = (i) => [`10.216.${i >> 6}.${(i & 63) * 2 + 1}`, `10.216.${i >> 6}.${(i & 63) * 2 + 2}`];
const options = { prefix: PREFIX, clusterCIDR: '10.216.0.0/16', nodes: localNodes([{ metadata: { name: 'bench' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.157' }] } }], []) };

async function proxyPart() {
  const proxier = new IptablesProxier(host.processes, PREFIX, log);
  try {
    const cache = new RenderCache();
    const before = clusterObjects(ips);
    let t = performance.now();
    const rules = renderRules(proxyServicePorts(before.services, before.slices), options, cache);
    const render = performance.now() - t;
    t = performance.now();
    await proxier.sync(rules);
    const full = performance.now() - t;
    const ruleCount = [...rules.nat.values(), ...rules.filter.values()].reduce((n, r) => n + r.length, 0);
    const chains = rules.nat.size + rules.filter.size;
    // One endpoint of one Service replaced (a pod rescheduled), applied incrementally; median of 5.
    const changes = [];
    for (let k = 1; k <= 5; k++) {
      const changed = clusterObjects((i) => (i === 500 ? [ips(i)[0], `10.216.250.${k}`] : ips(i)));
      t = performance.now();
      await proxier.sync(renderRules(proxyServicePorts(changed.services, changed.slices), options, cache));
      changes.push(performance.now() - t);
    }
    // Baseline: the same number of plain rules, one iptables-restore into one chain.
    const chain = `${PREFIX}-BASELINE`;
    const plain = `*nat\n:${chain} - [0:0]\n${Array.from({ length: ruleCount }, (_, i) => `-A ${chain} -d 10.116.${(i >> 8) & 255}.${i & 255}/32 -p tcp -m tcp --dport 80 -j RETURN`).join('\n')}\nCOMMIT\n`;
    t = performance.now();
    execFileSync('iptables-restore', ['-w', '--noflush'], { input: plain });
    const baseline = performance.now() - t;
    execFileSync('iptables-restore', ['-w', '--noflush'], { input: `*nat\n:${chain} - [0:0]\n-X ${chain}\nCOMMIT\n` });
    console.log(`kube-proxy, ${SERVICES} Services × 2 endpoints (NodePort): ${chains} chains, ${ruleCount} rules`);
    line('render (pure)', render);
    line('full sync (render excluded: save + restore + hooks)', full, `   target ≤ 2000 ms; ratio to baseline ${(full / baseline).toFixed(2)}`);
    line('one endpoint change applied (render + restore, p50)', median(changes), `   target ≤ 200 ms; runs ${changes.map((c) => c.toFixed(0)).join(', ')}`);
    line(`baseline: iptables-restore of ${ruleCount} plain rules`, baseline);
  } finally {
    await removeProxyRules(host.processes, PREFIX, log);
  }
}

const IPS = { cp1: '127.0.0.155', w1: '127.0.0.156' };
const IMAGE = 'docker.io/kubeforge/busybox:bench';
const KF = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../bin/kubeforge.js');

async function clusterPart() {
  const roots = {};
  const pids = [];
  const scratch = await tempDir('kf-bench-svc-');
  const kf = (args) => {
    const r = spawnSync(process.execPath, [KF, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kubeforge ${args.join(' ')}: ${r.stderr.slice(-800)}`);
    return r.stdout;
  };
  const kubectl = (args, input) => execFileSync('kubectl', ['--kubeconfig', `${roots.cp1}/etc/kubernetes/admin.conf`, ...args], { encoding: 'utf8', input });
  const curlOk = (url) => spawnSync('curl', ['-s', '-m', '1', url], { encoding: 'utf8' }).stdout.startsWith('hello');
  try {
    roots.cp1 = await tempDir('kf-bench-svc-cp-');
    const init = kf(['init', '--root', roots.cp1, '--apiserver-advertise-address', IPS.cp1, '--node-name', 'cp1', '--pod-network-cidr', '10.217.0.0/16', '--service-cidr', '10.117.0.0/16', '--ignore-preflight-errors=all']);
    const m = init.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
    roots.w1 = await tempDir('kf-bench-svc-w1-');
    kf([...m[1].split(/\s+/), ...m[2].split(/\s+/), '--root', roots.w1, '--node-name', 'w1', '--node-ip', IPS.w1, '--ignore-preflight-errors', 'all']);
    const archive = path.join(scratch, 'busybox.tar');
    const applets = execFileSync('/bin/busybox', ['--list']).toString().trim().split('\n');
    writeFileSync(archive, await buildOciArchive({ name: IMAGE, entries: busyboxEntries(readFileSync('/bin/busybox'), applets), cmd: ['sh'] }));
    kf(['images', 'import', archive, '--root', roots.w1]);
    const cm = JSON.parse(kubectl(['get', 'configmap', 'kube-proxy', '-n', 'kube-system', '-o', 'json']));
    for (const node of ['cp1', 'w1']) {
      const dir = path.join(roots[node], 'var/lib/kube-proxy');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'token'), kubectl(['create', 'token', 'kube-proxy', '-n', 'kube-system']).trim());
      writeFileSync(path.join(dir, 'ca.crt'), readFileSync(path.join(roots.cp1, 'etc/kubernetes/pki/ca.crt')));
      const kubeconfig = yaml.load(cm.data['kubeconfig.conf']);
      kubeconfig.clusters[0].cluster['certificate-authority'] = path.join(dir, 'ca.crt');
      kubeconfig.users[0].user.tokenFile = path.join(dir, 'token');
      writeFileSync(path.join(dir, 'kubeconfig.conf'), yaml.dump(kubeconfig));
      const config = yaml.load(cm.data['config.conf']);
      config.clientConnection.kubeconfig = path.join(dir, 'kubeconfig.conf');
      writeFileSync(path.join(dir, 'config.conf'), yaml.dump(config));
      const out = openSync(path.join(scratch, `kube-proxy-${node}.log`), 'a');
      pids.push(spawn(process.execPath, [KF, 'component', 'kube-proxy', `--config=${path.join(dir, 'config.conf')}`, `--hostname-override=${node}`], { stdio: ['ignore', out, out] }).pid);
    }
    kubectl(['apply', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: httpd, image: ${IMAGE}, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"], readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}}
`);
    kubectl(['rollout', 'status', 'deploy/web', '--timeout=240s']);
    const podIP = JSON.parse(kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items[0].status.podIP;
    const direct = [];
    const viaService = [];
    for (let i = 0; i < 10; i++) {
      let t = performance.now();
      while (!curlOk(`http://${podIP}:8080/`)) await new Promise((r) => setTimeout(r, 20));
      direct.push(performance.now() - t);
      t = performance.now();
      const ip = JSON.parse(kubectl(['create', '-f', '-', '-o', 'json'], `{"apiVersion":"v1","kind":"Service","metadata":{"name":"s${i}"},"spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}}`)).spec.clusterIP;
      while (!curlOk(`http://${ip}/`)) await new Promise((r) => setTimeout(r, 20));
      viaService.push(performance.now() - t);
    }
    line('Service create → first answer via ClusterIP (p50 of 10)', median(viaService), `   target ≤ 1000 ms; ratio to baseline ${(median(viaService) / median(direct)).toFixed(1)}; runs ${viaService.map((v) => v.toFixed(0)).join(', ')}`);
    line('baseline: first answer straight from a pod IP (p50)', median(direct));
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const root of [roots.w1, roots.cp1].filter(Boolean)) {
      spawnSync(process.execPath, [KF, 'reset', '--root', root, '-f'], { encoding: 'utf8' });
      await removeDir(root);
    }
    await removeDir(scratch);
  }
}

await proxyPart();
if (!process.argv.includes('--no-cluster')) await clusterPart();
