#!/usr/bin/env node
// Benchmark: object GET through the bundled API server vs a direct etcd3 GET on the same etcd,
// at 32 concurrent clients; LIST of 1,000 ConfigMaps and of 1,000 custom resources; p50/p99; API server RSS idle and under load;
// Secret create throughput with encryption at rest and auditing on beside off (apiserver-writes.mjs).
// Needs `npx tsc -p tsconfig.build.json` first.
// Also GET as an impersonated user (admin with Impersonate-User: a reader bound by RBAC): the cost
// of the impersonation filter plus a RoleBinding lookup. With --baseline DIR (a checkout with dist
// built, e.g. /work/main) a second API server from DIR serves the same etcd, and its rounds
// alternate with ours, so both figures come from the same run and the same load.
// Usage: node bench/apiserver.mjs [--seconds 3] [--rounds 3] [--concurrency 32] [--baseline DIR] [--cpu-prof DIR] (profile of the API server process)
// BENCH_APISERVER_NODE_ARGS passes node flags to the API server process (e.g. --max-semi-space-size=4).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { writeBenchmark } from './apiserver-writes.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const profileDir = args.includes('--cpu-prof') ? path.resolve(args[args.indexOf('--cpu-prof') + 1]) : undefined;
const baselineRepo = args.includes('--baseline') ? path.resolve(args[args.indexOf('--baseline') + 1]) : undefined;
const SECONDS = opt('seconds', 3);
const CONCURRENCY = opt('concurrency', 32);
const OBJECTS = 1000;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(repo, 'dist/controlplane/apiserver/main.js');
if (!existsSync(main)) { console.error('build first: npx tsc -p tsconfig.build.json'); process.exit(1); }
const baselineMain = baselineRepo && path.join(baselineRepo, 'dist/controlplane/apiserver/main.js');
if (baselineMain && !existsSync(baselineMain)) { console.error(`build the baseline first: ${baselineMain} is missing`); process.exit(1); }

const dir = mkdtempSync(path.join(os.tmpdir(), 'kf-bench-'));
const children = [];
const cleanup = () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); };
process.on('exit', cleanup);

const ssl = (...a) => execFileSync('openssl', a, { stdio: 'ignore' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
function ca(name) { ssl('req', '-x509', ...EC, '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.crt`, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE'); }
function leaf(caName, name, subj, usage) {
  writeFileSync(`${dir}/${name}.ext`, `extendedKeyUsage=${usage}\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n`);
  ssl('req', '-new', ...EC, '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.csr`, '-subj', subj);
  ssl('x509', '-req', '-in', `${dir}/${name}.csr`, '-CA', `${dir}/${caName}.crt`, '-CAkey', `${dir}/${caName}.key`, '-CAcreateserial', '-out', `${dir}/${name}.crt`, '-days', '1', '-extfile', `${dir}/${name}.ext`);
}
ca('ca'); ca('etcd-ca');
leaf('ca', 'apiserver', '/CN=kube-apiserver', 'serverAuth');
leaf('ca', 'admin', '/CN=kubernetes-admin/O=system:masters', 'clientAuth');
leaf('etcd-ca', 'etcd-server', '/CN=etcd', 'serverAuth,clientAuth');
leaf('etcd-ca', 'etcd-client', '/CN=kube-apiserver-etcd-client', 'clientAuth');
const file = (n) => readFileSync(`${dir}/${n}`);

const freePort = () => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => r(port)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const [etcdPort, peerPort, apiPort, baselinePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
const etcdUrl = `https://127.0.0.1:${etcdPort}`;
children.push(spawn('/usr/bin/etcd', [`--data-dir=${dir}/etcd`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
  `--listen-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`, `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
  `--cert-file=${dir}/etcd-server.crt`, `--key-file=${dir}/etcd-server.key`, `--trusted-ca-file=${dir}/etcd-ca.crt`, '--client-cert-auth', '--log-level=error', '--logger=zap'], { stdio: 'ignore' }));
const nodeArgs = (process.env.BENCH_APISERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const serverArgs = (port) => ['--bind-address=127.0.0.1', `--secure-port=${port}`, `--tls-cert-file=${dir}/apiserver.crt`, `--tls-private-key-file=${dir}/apiserver.key`,
  `--client-ca-file=${dir}/ca.crt`, `--etcd-servers=${etcdUrl}`, `--etcd-cafile=${dir}/etcd-ca.crt`, `--etcd-certfile=${dir}/etcd-client.crt`, `--etcd-keyfile=${dir}/etcd-client.key`,
  '--authorization-mode=Node,RBAC', '--enable-bootstrap-token-auth=true', '--enable-admission-plugins=NodeRestriction'];
const startApiserver = (entry, port, profile) => {
  const child = spawn(process.execPath, [...nodeArgs, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), entry, ...serverArgs(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
};
const apiserver = startApiserver(main, apiPort, profileDir);

const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: file('ca.crt'), cert: file('admin.crt'), key: file('admin.key') });
function api(method, p, body, headers = {}, port = apiPort) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: p, method, agent, headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers } }, (res) => {
      const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    // A keep-alive socket the server closed while idle (a side waits while the others run): retry once, as Node's docs advise.
    req.on('error', (err) => (req.reusedSocket && err.code === 'ECONNRESET' ? api(method, p, body, headers, port).then(resolve, reject) : reject(err)));
    req.end(body ? JSON.stringify(body) : undefined);
  });
}
/** CPU seconds (user + system) the API server process has used so far. */
const cpuSeconds = (pid = apiserver.pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${apiserver.pid}/status`, 'utf8'))[1]) / 1024;
for (let i = 0; ; i++) { try { if ((await api('GET', '/readyz')).status === 200) break; } catch { /* starting */ } if (i > 200) throw new Error('API server not ready'); await sleep(100); }
await sleep(1000);
const rssStart = rss();

await api('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
// The impersonated reader: a RoleBinding to `view` in bench (what its GETs are authorized by).
await api('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings', { metadata: { name: 'bench-reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bench-reader' }] });
const AS_READER = { 'Impersonate-User': 'bench-reader' };
const baseline = baselineMain && startApiserver(baselineMain, baselinePort);
if (baseline) for (let i = 0; ; i++) { try { if ((await api('GET', '/readyz', undefined, {}, baselinePort)).status === 200) break; } catch { /* starting */ } if (i > 200) throw new Error('baseline API server not ready'); await sleep(100); }
let next = 0;
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next < OBJECTS) { const i = next++; await api('POST', '/api/v1/namespaces/bench/configmaps', { metadata: { name: `cm-${i}` }, data: { payload: 'x'.repeat(256) } }); }
}));
await sleep(2000);
const rssIdle = rss(); // idle again after the 1,000 writes

// The machine is shared: the two sides run in alternating rounds so a burst of outside load
// cannot land on one side only; each side's figures are pooled over its rounds.
const ROUNDS = opt('rounds', 3);
/** `pid`: the server process whose CPU time the side's requests are charged (none for direct etcd). */
function pool(name, pid) { return { name, pid, latencies: [], seconds: 0, cpu: 0 }; }
async function round(side, op) {
  const started = performance.now(); const deadline = started + SECONDS * 1000; let n = 0;
  const cpuBefore = side.pid ? cpuSeconds(side.pid) : 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < deadline) { const t = performance.now(); await op(n++ % OBJECTS); side.latencies.push(performance.now() - t); }
  }));
  side.seconds += (performance.now() - started) / 1000;
  if (side.pid) side.cpu += cpuSeconds(side.pid) - cpuBefore;
}
function summary(side) {
  const latencies = side.latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2);
  return { name: side.name, rps: Math.round(latencies.length / side.seconds), p50: q(0.5), p99: q(0.99), cpuUs: side.pid ? Math.round((side.cpu / latencies.length) * 1e6) : undefined };
}

const etcd = new Etcd3({ hosts: `127.0.0.1:${etcdPort}`, credentials: { rootCertificate: file('etcd-ca.crt'), certChain: file('etcd-client.crt'), privateKey: file('etcd-client.key') } });
const directSide = pool('etcd3 GET (direct)');
const apiSide = pool('API server GET', apiserver.pid);
const asSide = pool('API server GET, impersonated', apiserver.pid);
const baseSide = pool('baseline API server GET', baseline?.pid);
const baseAsSide = pool('baseline API server GET, impersonated', baseline?.pid);
const getter = (port, headers) => async (i) => { const res = await api('GET', `/api/v1/namespaces/bench/configmaps/cm-${i}`, undefined, headers, port); if (res.status !== 200) throw new Error(`GET ${res.status} ${res.body}`); };
let rssPeak = 0; const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rss()); }, 200);
for (let r = 0; r < ROUNDS; r++) {
  await round(directSide, (i) => etcd.get(`/registry/configmaps/bench/cm-${i}`).buffer());
  await round(apiSide, getter(apiPort, {}));
  await round(asSide, getter(apiPort, AS_READER));
  if (baseline) { await round(baseSide, getter(baselinePort, {})); await round(baseAsSide, getter(baselinePort, AS_READER)); }
}
clearInterval(sampler);
const direct = summary(directSide);
const viaApi = summary(apiSide);
const impersonated = summary(asSide);
const sides = [direct, viaApi, impersonated, ...(baseline ? [summary(baseSide), summary(baseAsSide)] : [])];
const lists = [];
for (let i = 0; i < 20; i++) { const t = performance.now(); const r = await api('GET', '/api/v1/namespaces/bench/configmaps'); lists.push(performance.now() - t); if (JSON.parse(r.body).items.length !== OBJECTS) throw new Error('short list'); }
lists.sort((a, b) => a - b);

// 1,000 custom resources of a CRD with a structural schema, listed as the ConfigMaps above.
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
await api('POST', CRD_PATH, { metadata: { name: 'widgets.bench.example.com' }, spec: { group: 'bench.example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' },
  versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 0 }, payload: { type: 'string' } } } } } } }] } });
for (let i = 0; ; i++) { const crd = JSON.parse((await api('GET', `${CRD_PATH}/widgets.bench.example.com`)).body); if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break; if (i > 100) throw new Error('CRD not established'); await sleep(50); }
let nextCr = 0;
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (nextCr < OBJECTS) { const i = nextCr++; const r = await api('POST', '/apis/bench.example.com/v1/namespaces/bench/widgets', { apiVersion: 'bench.example.com/v1', kind: 'Widget', metadata: { name: `w-${i}` }, spec: { size: i, payload: 'x'.repeat(256) } }); if (r.status !== 201) throw new Error(`CR ${r.status} ${r.body}`); }
}));
const crLists = [];
for (let i = 0; i < 20; i++) { const t = performance.now(); const r = await api('GET', '/apis/bench.example.com/v1/namespaces/bench/widgets'); crLists.push(performance.now() - t); if (JSON.parse(r.body).items.length !== OBJECTS) throw new Error('short CR list'); }
crLists.sort((a, b) => a - b);

// Server-side apply of a 3-container Deployment (each apply changes one env value), against a
// JSON merge patch making the same change in the same run as the baseline.
const deployment = (n) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'applied', labels: { app: 'applied' } },
  spec: { replicas: 1, selector: { matchLabels: { app: 'applied' } }, template: { metadata: { labels: { app: 'applied' } }, spec: { containers: ['web', 'sidecar', 'metrics'].map((name, i) => ({
    name, image: `registry.example/${name}:1.${i}`, ports: [{ containerPort: 8080 + i, name: `p${i}` }], env: [{ name: 'ROUND', value: String(n) }, { name: 'ROLE', value: name }],
    resources: { requests: { cpu: '10m', memory: '16Mi' } },
  })) } } },
});
const timedRuns = async (count, op) => { const out = []; for (let i = 0; i < count; i++) { const t = performance.now(); const r = await op(i); out.push(performance.now() - t); if (r.status >= 300) throw new Error(`${r.status} ${r.body}`); } return out.sort((a, b) => a - b); };
const APPLY = '/apis/apps/v1/namespaces/bench/deployments/applied';
const applies = await timedRuns(200, (i) => api('PATCH', `${APPLY}?fieldManager=bench`, deployment(i), { 'Content-Type': 'application/apply-patch+yaml' }));
const merges = await timedRuns(200, (i) => api('PATCH', APPLY, { spec: { template: { metadata: { annotations: { round: String(i) } } } } }, { 'Content-Type': 'application/merge-patch+json' }));
etcd.close(); agent.destroy();

console.log(`kube-apiserver benchmark (${CONCURRENCY} concurrent clients, ${ROUNDS} alternating rounds of ${SECONDS}s per side, ${OBJECTS} ConfigMaps of ~256 B, same etcd)`);
console.table(sides.map((r) => ({ test: r.name, 'req/s': r.rps, 'p50 ms': r.p50, 'p99 ms': r.p99, 'server CPU µs/GET': r.cpuUs ?? '' })));
console.log(`API server GET throughput = ${((viaApi.rps / direct.rps) * 100).toFixed(1)}% of direct etcd (target >= 40%)`);
console.log(`impersonated GET throughput = ${((impersonated.rps / viaApi.rps) * 100).toFixed(1)}% of the plain GET`);
if (baseline) {
  const [base, baseAs] = [sides[3], sides[4]];
  console.log(`vs baseline ${baselineRepo}: GET ${((viaApi.rps / base.rps) * 100).toFixed(1)}%, impersonated GET ${((impersonated.rps / baseAs.rps) * 100).toFixed(1)}% of the baseline's throughput (target >= 95%)`);
  console.log(`vs baseline: server CPU per GET ${((viaApi.cpuUs / base.cpuUs) * 100).toFixed(1)}%, impersonated ${((impersonated.cpuUs / baseAs.cpuUs) * 100).toFixed(1)}% of the baseline's (the load-independent figure)`);
}
console.log(`API server CPU per GET: ${viaApi.cpuUs} µs (user+system, independent of outside load)`);
console.log(`LIST 1000 ConfigMaps: p50 ${lists[10].toFixed(1)} ms, p99 ${lists[19].toFixed(1)} ms (20 runs)`);
console.log(`LIST 1000 custom resources: p50 ${crLists[10].toFixed(1)} ms (target <= 40 ms), p99 ${crLists[19].toFixed(1)} ms; ${(crLists[10] / lists[10]).toFixed(2)}x the ConfigMap list (20 runs)`);
console.log(`Server-side apply, 3-container Deployment: p50 ${applies[100].toFixed(1)} ms (target <= 10 ms), p99 ${applies[197].toFixed(1)} ms; merge patch of it: p50 ${merges[100].toFixed(1)} ms; apply/merge = ${(applies[100] / merges[100]).toFixed(2)}x (200 runs each)`);
console.log(`API server RSS: idle after start ${rssStart.toFixed(0)} MB (target <= 120 MB), idle after 1,000 writes ${rssIdle.toFixed(0)} MB, under load ${rssPeak.toFixed(0)} MB`);
await writeBenchmark({ dir, repo, main, serverArgs, ports: [await freePort(), await freePort()], tls: { ca: file('ca.crt'), cert: file('admin.crt'), key: file('admin.key') }, concurrency: CONCURRENCY, seconds: SECONDS, rounds: ROUNDS, children });
apiserver.kill('SIGTERM');
await new Promise((r) => { apiserver.once('exit', r); setTimeout(r, profileDir ? 10_000 : 1000); });
process.exit(0);
