// Benchmark: `kubeforge join` against a `kubeforge init` control plane, through the built CLI
// (run `npm run build` first). Each node has its own root and loopback address.
//   node bench/join.mjs [concurrentNodes=50] [sequentialJoins=5]
// Measures: init wall time and a kubectl round trip (baselines); join start → Node Ready for
// sequential joins (median); N joins at once → all Ready; the API server's p99 request latency
// during the burst (from its /metrics histogram, plus our own GET /api/v1/nodes polls); the memory of
// every agent (RSS, PSS and private, beside a bare node process). Resets every root at the end.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, removeDir, tempDir } from './lib.mjs';

const CONCURRENT = Number(process.argv[2] ?? 50);
const SEQUENTIAL = Number(process.argv[3] ?? 5);
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../bin/kubeforge.js');
const CP_ADDRESS = '127.0.1.1';
const seqAddress = (i) => `127.0.1.${10 + i}`;
const burstAddress = (i) => `127.0.2.${1 + i}`;

/** Runs the CLI; resolves with exit code, output and wall time. */
function kubeforge(args) {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - start }));
  });
}

/** An HTTPS client for the API server with admin.conf's credentials. */
function apiClient(kubeconfigPath) {
  const text = readFileSync(kubeconfigPath, 'utf8');
  const field = (name) => Buffer.from(text.match(new RegExp(`${name}: (\\S+)`))[1], 'base64');
  const server = new URL(text.match(/server: (\S+)/)[1]);
  const agent = new https.Agent({ ca: field('certificate-authority-data'), cert: field('client-certificate-data'), key: field('client-key-data'), keepAlive: true, maxSockets: 4 });
  const get = (p) => new Promise((resolve, reject) => {
    const start = performance.now();
    https.get({ host: server.hostname, port: server.port, path: p, agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve({ body, ms: performance.now() - start }) : reject(new Error(`GET ${p}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
  return { get, close: () => agent.destroy() };
}

/** Names of nodes whose Ready condition is True. */
async function readyNodes(api) {
  const { body, ms } = await api.get('/api/v1/nodes');
  const ready = new Set(JSON.parse(body).items
    .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((n) => n.metadata.name));
  return { ready, ms };
}

/** Sums apiserver_request_duration_seconds buckets over all non-long-running verbs. */
async function latencyBuckets(api) {
  const { body } = await api.get('/metrics');
  const buckets = new Map();
  for (const m of body.matchAll(/^apiserver_request_duration_seconds_bucket\{([^}]*)\} (\S+)$/gm)) {
    if (/verb="(WATCH|CONNECT)"/.test(m[1])) continue;
    const le = m[1].match(/le="([^"]+)"/)[1];
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  return buckets;
}

/** The bucket bound under which 99% of the requests between two scrapes fall. */
function p99Between(before, after) {
  const rows = [...after].map(([le, count]) => [le === '+Inf' ? Infinity : Number(le), count - (before.get(le) ?? 0)]).sort((a, b) => a[0] - b[0]);
  const total = rows.at(-1)?.[1] ?? 0;
  const hit = rows.find(([, count]) => count >= 0.99 * total);
  return { total, p99: hit ? hit[0] : undefined };
}

const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];

function agentPid(root) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'run/kubeforge/agent.pid'), 'utf8')).pid;
  } catch {
    return undefined;
  }
}
/** A process's memory in kB from /proc/PID/smaps_rollup: Rss, Pss (shared pages divided among their sharers) and Private (Private_Clean + Private_Dirty). */
function memoryKb(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name) => Number(text.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))[1]);
    return { rss: field('Rss'), pss: field('Pss'), private: field('Private_Clean') + field('Private_Dirty') };
  } catch {
    return undefined;
  }
}

/** Baseline: a bare `node` process idling (the floor any Node.js agent starts from). */
async function bareNodeMemoryKb() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  await new Promise((r) => setTimeout(r, 1000));
  const mem = memoryKb(child.pid);
  child.kill();
  return mem;
}

const roots = [];
async function newRoot(prefix) {
  const dir = await tempDir(prefix);
  roots.push(dir);
  return dir;
}
const fmt = (ms) => `${ms.toFixed(0)} ms`;

let api;
try {
  // --- the control plane ---
  const cp = await newRoot('kf-bench-join-cp-');
  const config = path.join(cp, 'kubeadm.yaml');
  writeFileSync(config, `apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: ${CP_ADDRESS}\nnodeRegistration:\n  name: cp1\n`);
  const init = await kubeforge(['init', '--root', cp, '--config', config, '--ignore-preflight-errors=all']);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr.slice(-2000)}`);
  const printed = init.stdout.match(/kubeforge join (\S+) --token (\S+)\s*\\?\s*--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})/);
  const [, endpoint, token, pin] = printed;
  api = apiClient(path.join(cp, 'etc/kubernetes/admin.conf'));
  console.log(`init (baseline)                         ${fmt(init.ms)}`);

  const kubectlTimes = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    spawnSync('kubectl', ['--kubeconfig', path.join(cp, 'etc/kubernetes/admin.conf'), 'get', 'nodes'], { encoding: 'utf8' });
    kubectlTimes.push(performance.now() - start);
  }
  const kubectlMs = median(kubectlTimes);
  console.log(`kubectl get nodes round trip (baseline) ${fmt(kubectlMs)} median of 5`);

  const join = (root, name, ip) => kubeforge(['join', endpoint, '--token', token, '--discovery-token-ca-cert-hash', pin, '--root', root, '--node-name', name, '--node-ip', ip, '--ignore-preflight-errors', 'all']);

  /** Resolves with the time (from `start`) each named node was first seen Ready, polling every `everyMs`. */
  async function watchReady(names, start, everyMs, timeoutMs, pollTimes) {
    const seen = new Map();
    while (seen.size < names.length) {
      if (performance.now() - start > timeoutMs) break;
      const { ready, ms } = await readyNodes(api);
      pollTimes?.push(ms);
      const now = performance.now() - start;
      for (const n of names) if (ready.has(n) && !seen.has(n)) seen.set(n, now);
      if (seen.size < names.length) await new Promise((r) => setTimeout(r, everyMs));
    }
    return seen;
  }

  // --- sequential joins ---
  const sequential = [];
  const sequentialExit = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const name = `s${i}`;
    const root = await newRoot(`kf-bench-join-s${i}-`);
    const start = performance.now();
    const [res, seen] = await Promise.all([join(root, name, seqAddress(i)), watchReady([name], start, 50, 60_000)]);
    if (res.code !== 0) throw new Error(`join ${name} failed: ${res.stderr.slice(-2000)}`);
    if (!seen.has(name)) throw new Error(`${name} never became Ready`);
    sequential.push(seen.get(name));
    sequentialExit.push(res.ms);
  }
  const seqMedian = median(sequential);
  console.log(`join start → Node Ready (sequential)    ${fmt(seqMedian)} median of ${SEQUENTIAL} (runs: ${sequential.map((t) => t.toFixed(0)).join(', ')}; join exit: ${sequentialExit.map((t) => t.toFixed(0)).join(', ')} ms)  target ≤ 1000 ms: ${seqMedian <= 1000 ? 'met' : 'missed'}`);

  // --- N joins at once ---
  const names = Array.from({ length: CONCURRENT }, (_, i) => `b${i}`);
  const burstRoots = [];
  for (let i = 0; i < CONCURRENT; i++) burstRoots.push(await newRoot(`kf-bench-join-b${i}-`));
  const before = await latencyBuckets(api);
  const pollTimes = [];
  const start = performance.now();
  const [results, seen] = await Promise.all([
    Promise.all(names.map((name, i) => join(burstRoots[i], name, burstAddress(i)))),
    watchReady(names, start, 200, 120_000, pollTimes),
  ]);
  const after = await latencyBuckets(api);
  const failed = results.map((r, i) => [names[i], r]).filter(([, r]) => r.code !== 0);
  for (const [name, r] of failed) console.log(`join ${name} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const allReadyMs = seen.size === CONCURRENT ? Math.max(...seen.values()) : undefined;
  console.log(`${CONCURRENT} joins at once → all Ready          ${allReadyMs === undefined ? `NOT all Ready (${seen.size}/${CONCURRENT} in 120 s)` : fmt(allReadyMs)}  (first Ready ${fmt(Math.min(...seen.values()))}, median ${fmt(median([...seen.values()]))}; join exits median ${fmt(median(results.map((r) => r.ms)))}, max ${fmt(Math.max(...results.map((r) => r.ms)))})  target ≤ 30000 ms: ${allReadyMs !== undefined && allReadyMs <= 30_000 ? 'met' : 'missed'}`);
  const { total, p99 } = p99Between(before, after);
  console.log(`API server p99 during the burst          ≤ ${p99 === undefined ? '?' : `${(p99 * 1000).toFixed(0)} ms`} (its histogram bucket bound; ${total} non-watch requests)`);
  console.log(`our GET /api/v1/nodes during the burst   p50 ${fmt(percentile(pollTimes, 50))}  p99 ${fmt(percentile(pollTimes, 99))}  max ${fmt(Math.max(...pollTimes))} (${pollTimes.length} polls)`);

  // --- agent memory ---
  await new Promise((r) => setTimeout(r, 3000));
  const mems = burstRoots.map((root) => memoryKb(agentPid(root))).filter((m) => m !== undefined);
  const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
  const stats = (key) => {
    const values = mems.map((m) => m[key]);
    return { total: values.reduce((a, b) => a + b, 0), median: median(values), max: Math.max(...values) };
  };
  const [rss, pss, own] = [stats('rss'), stats('pss'), stats('private')];
  const bare = await bareNodeMemoryKb();
  console.log(`agent memory (${mems.length} burst agents), per agent median / max, total:`);
  console.log(`  RSS      ${mb(rss.median)} / ${mb(rss.max)}, total ${mb(rss.total)} (counts node's shared code once per process)`);
  console.log(`  PSS      ${mb(pss.median)} / ${mb(pss.max)}, total ${mb(pss.total)} (what the ${mems.length} agents really occupy)  target ≤ 40 MB each: ${pss.max <= 40 * 1024 ? 'met' : 'missed'}`);
  console.log(`  private  ${mb(own.median)} / ${mb(own.max)}, total ${mb(own.total)}`);
  if (bare) console.log(`  baseline: a bare idle node process: RSS ${mb(bare.rss)}, private ${mb(bare.private)}`);
  const cpAgent = memoryKb(agentPid(cp));
  if (cpAgent) console.log(`cp1 agent (runs the static pods): RSS ${mb(cpAgent.rss)}, PSS ${mb(cpAgent.pss)}, private ${mb(cpAgent.private)}`);

  console.log('');
  console.log(`ratio join→Ready / kubectl get nodes round trip: ${(seqMedian / kubectlMs).toFixed(2)}x`);
  console.log(`ratio join→Ready / init:                         ${(seqMedian / init.ms).toFixed(3)}x`);
  if (allReadyMs !== undefined) console.log(`ratio ${CONCURRENT}-node burst / one sequential join:          ${(allReadyMs / seqMedian).toFixed(1)}x (${(allReadyMs / CONCURRENT).toFixed(0)} ms per node)`);
} finally {
  api?.close();
  // workers first, the control plane last
  const workers = roots.slice(1);
  for (let i = 0; i < workers.length; i += 10) await Promise.all(workers.slice(i, i + 10).map((root) => kubeforge(['reset', '--root', root, '-f'])));
  if (roots[0]) await kubeforge(['reset', '--root', roots[0], '-f']);
  for (const root of roots) await removeDir(root);
}
