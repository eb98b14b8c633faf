// Benchmark: `kubeforge init` through the built CLI (run `npm run build` first), real etcd, real
// kubectl. Time from the start of init to the join command printed AND `kubectl get nodes` showing
// the node Ready (median of N runs, each a fresh root, reset after), beside two baselines measured
// in the same run: the certs + kubeconfig phases alone, and a bare etcd started to healthy. Then
// the RSS of the whole control plane (every process whose command line mentions the root) idle
// after 60 s, and how soon `kubectl get nodes` works again after kill -9 of the API server (the
// agent restarts it), beside one `kubectl get nodes` against the live API server.
//   node bench/init.mjs [runs] [idle-seconds]
import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { median, ms, removeDir, tempDir } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 5);
const IDLE_S = Number(process.argv[3] ?? 60);
const ADDRESS = '127.0.0.39';
const BIN = fileURLToPath(new URL('../bin/kubeforge.js', import.meta.url));
const sleep = (t) => new Promise((r) => setTimeout(r, t));

function kubeforge(args) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubeforge ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}

function nodeReady(root) {
  const r = spawnSync('kubectl', ['--kubeconfig', `${root}/etc/kubernetes/admin.conf`, 'get', 'nodes', '--no-headers'], { encoding: 'utf8' });
  return r.status === 0 && /^cp1\s+Ready\s/m.test(r.stdout);
}

/** Runs init; resolves with the times (ms from start) of the join command, init's exit and Ready. */
function timedInit(root) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [BIN, 'init', '--root', root, '--apiserver-advertise-address', ADDRESS, '--node-name', 'cp1'], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    let joinAt;
    let readyAt;
    let polling = false;
    const poll = async () => {
      // kubectl can only answer once admin.conf exists and the API is up: poll from the first phase on
      polling = true;
      while (readyAt === undefined) {
        if (nodeReady(root)) readyAt = performance.now() - start;
        else await sleep(100);
      }
    };
    child.stdout.on('data', (d) => {
      out += d;
      if (joinAt === undefined && /--discovery-token-ca-cert-hash sha256:[0-9a-f]{64}/.test(out)) joinAt = performance.now() - start;
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (!polling && err.includes('[wait-control-plane]')) void poll();
    });
    child.on('error', reject);
    child.on('exit', async (code) => {
      const exitAt = performance.now() - start;
      if (code !== 0) return reject(new Error(`init exited ${code}: ${err}`));
      if (!polling) void poll();
      while (readyAt === undefined) await sleep(50);
      const phases = Object.fromEntries([...err.matchAll(/^\[([a-z-]+)\] completed in ([\d.]+)(ms|s)$/gm)].map((m) => [m[1], Number(m[2]) * (m[3] === 's' ? 1000 : 1)]));
      resolve({ joinAt, exitAt, readyAt, total: Math.max(joinAt, readyAt), phases });
    });
  });
}

/** Pids of live processes whose command line mentions `text`. */
async function pidsMentioning(text) {
  const pids = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmdline.includes(text)) pids.push({ pid: Number(entry), cmdline });
    } catch {
      // gone
    }
  }
  return pids;
}

async function rssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? 0);
}

const label = ({ cmdline }) => (cmdline.includes(' agent ') ? 'agent' : (cmdline.match(/component (kube-[a-z-]+)/)?.[1] ?? (cmdline.includes('/etcd ') || cmdline.startsWith('/usr/bin/etcd') ? 'etcd' : cmdline.slice(0, 40))));

async function baselinePhases() {
  const root = await tempDir('kf-bench-phases-');
  try {
    const start = performance.now();
    kubeforge(['init', 'phase', 'certs', 'all', '--root', root, '--apiserver-advertise-address', ADDRESS, '--node-name', 'cp1']);
    kubeforge(['init', 'phase', 'kubeconfig', 'all', '--root', root, '--apiserver-advertise-address', ADDRESS, '--node-name', 'cp1']);
    return performance.now() - start;
  } finally {
    await removeDir(root);
  }
}

async function baselineEtcd() {
  const dir = await tempDir('kf-bench-etcd-');
  const client = `http://${ADDRESS}:23790`;
  const start = performance.now();
  const etcd = spawn('etcd', ['--data-dir', `${dir}/data`, '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', `http://${ADDRESS}:23800`, '--initial-advertise-peer-urls', `http://${ADDRESS}:23800`,
    '--initial-cluster', `default=http://${ADDRESS}:23800`], { stdio: 'ignore' });
  try {
    for (;;) {
      const ok = await fetch(`${client}/health`).then((r) => r.json()).then((j) => j.health === 'true').catch(() => false);
      if (ok) return performance.now() - start;
      await sleep(20);
    }
  } finally {
    etcd.kill('SIGKILL');
    await new Promise((r) => etcd.once('exit', r));
    await removeDir(dir);
  }
}

console.log(`kubeforge init on ${ADDRESS}: ${RUNS} runs, each a fresh root, reset after`);
const runs = [];
const certsKubeconfig = [];
const etcdStart = [];
let idleRoot;
for (let i = 0; i < RUNS; i++) {
  certsKubeconfig.push(await baselinePhases());
  etcdStart.push(await baselineEtcd());
  const root = await tempDir('kf-bench-init-');
  const r = await timedInit(root);
  runs.push(r);
  const slow = Object.entries(r.phases).filter(([, t]) => t >= 100).map(([p, t]) => `${p} ${t.toFixed(0)}`).join(', ');
  console.log(`  run ${i + 1}: join printed ${ms(r.joinAt)}, init exit ${ms(r.exitAt)}, node Ready ${ms(r.readyAt)} -> ${ms(r.total)}   (phases >= 100 ms: ${slow})`);
  if (i === RUNS - 1) idleRoot = root;
  else {
    kubeforge(['reset', '--root', root, '-f']);
    await removeDir(root);
  }
}
const initMedian = median(runs.map((r) => r.total));
const phasesMedian = median(certsKubeconfig);
const etcdMedian = median(etcdStart);
console.log('');
console.log(`${'init -> join printed and node Ready'.padEnd(44)} median ${ms(initMedian)}  (target <= 5000 ms: ${initMedian <= 5000 ? 'met' : 'missed'})`);
console.log(`${'  of which the certs phase (median)'.padEnd(44)} median ${ms(median(runs.map((r) => r.phases.certs ?? 0)))}`);
console.log(`${'baseline: init phase certs all + kubeconfig all'.padEnd(44)} median ${ms(phasesMedian)}  (runs: ${certsKubeconfig.map((t) => t.toFixed(0)).join(', ')})`);
console.log(`${'baseline: bare etcd start to /health'.padEnd(44)} median ${ms(etcdMedian)}  (runs: ${etcdStart.map((t) => t.toFixed(0)).join(', ')})`);
console.log(`ratio init / (certs + kubeconfig phases): ${(initMedian / phasesMedian).toFixed(2)}x;  init / bare etcd start: ${(initMedian / etcdMedian).toFixed(2)}x`);

console.log('');
console.log(`idle ${IDLE_S} s, then VmRSS of every process whose command line mentions the root`);
await sleep(IDLE_S * 1000);
let total = 0;
for (const p of await pidsMentioning(idleRoot)) {
  const kib = await rssKiB(p.pid).catch(() => 0);
  total += kib;
  console.log(`  ${label(p).padEnd(26)} pid ${String(p.pid).padEnd(8)} ${(kib / 1024).toFixed(1).padStart(7)} MB`);
}
console.log(`control plane RSS total ${(total / 1024).toFixed(1)} MB  (target <= 350 MB: ${total / 1024 <= 350 ? 'met' : 'missed'})`);

const kubectlStart = performance.now();
nodeReady(idleRoot);
const kubectlMs = performance.now() - kubectlStart;
const apiserver = (await pidsMentioning(idleRoot)).find((p) => p.cmdline.includes('component kube-apiserver'));
const killedAt = performance.now();
process.kill(apiserver.pid, 'SIGKILL');
while (!nodeReady(idleRoot) || (await pidsMentioning(idleRoot)).some((p) => p.pid === apiserver.pid)) await sleep(50);
const recoveredMs = performance.now() - killedAt;
console.log('');
console.log(`${'kill -9 of the API server -> kubectl works'.padEnd(44)} ${ms(recoveredMs)}  (target <= 5000 ms: ${recoveredMs <= 5000 ? 'met' : 'missed'}); one kubectl get nodes: ${ms(kubectlMs)}, ratio ${(recoveredMs / kubectlMs).toFixed(1)}x`);
kubeforge(['reset', '--root', idleRoot, '-f']);
await removeDir(idleRoot);
