// Benchmark: high availability through the built CLI (run `npm run build` first), on 127.0.0.155-159.
//   node bench/ha.mjs [objects=10000]
// Measures: a worker join → Ready (baseline) against a control-plane join → Node Ready and etcd
// member started and promoted; while a writer creates ConfigMaps through a follower's API server,
// kill -9 of every process of the etcd leader's node: the longest gap between acknowledged writes,
// how many acknowledged writes are missing afterwards, and when both Leases are renewed again; `kubeforge etcd snapshot save` of a
// cluster holding `objects` more ConfigMaps against `etcdctl snapshot save` of the same member.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from './lib.mjs';

const OBJECTS = Number(process.argv[2] ?? 10_000);
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../bin/kubeforge.js');
const IP = { cp1: '127.0.0.155', cp2: '127.0.0.156', cp3: '127.0.0.157', w1: '127.0.0.158' };

function run(command, args) {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(command, args, { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - start }));
  });
}
const kubeforge = (args) => run(process.execPath, [BIN, ...args]);
const must = (what, r) => {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr.slice(-1500)}`);
  return r;
};

function apiClient(kubeconfigPath) {
  const text = readFileSync(kubeconfigPath, 'utf8');
  const field = (name) => Buffer.from(text.match(new RegExp(`${name}: (\\S+)`))[1], 'base64');
  const server = new URL(text.match(/server: (\S+)/)[1]);
  const agent = new https.Agent({ ca: field('certificate-authority-data'), cert: field('client-certificate-data'), key: field('client-key-data'), keepAlive: true, maxSockets: 32 });
  return (method, p, body) =>
    new Promise((resolve) => {
      const req = https.request({ host: server.hostname, port: server.port, method, path: p, agent, timeout: 5000, headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => resolve({ status: 0, text: err.message }));
      req.end(body ? JSON.stringify(body) : undefined);
    });
}

const configMap = (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });

/** Pids of processes whose command line names the root (the node's every process). */
function pidsOf(root) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(root)) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

const roots = {};
try {
  for (const name of Object.keys(IP)) roots[name] = await tempDir(`kf-bench-ha-${name}-`);
  const config = `${roots.cp1}.yaml`;
  writeFileSync(config, `apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: ${IP.cp1}\nnodeRegistration:\n  name: cp1\n`);
  const init = must('init', await kubeforge(['init', '--root', roots.cp1, '--config', config, '--upload-certs', '--ignore-preflight-errors=all']));
  console.log(`init --upload-certs (cp1)                 ${init.ms.toFixed(0)} ms`);
  const token = /--token (\S+)/.exec(init.stdout)[1];
  const hash = /--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})/.exec(init.stdout)[1];
  const key = /Using certificate key:\n([0-9a-f]{64})/.exec(init.stdout)[1];
  const common = (name) => ['join', `${IP.cp1}:6443`, '--token', token, '--discovery-token-ca-cert-hash', hash, '--root', roots[name], '--node-name', name, '--node-ip', IP[name], '--ignore-preflight-errors=all'];

  const worker = must('worker join', await kubeforge(common('w1')));
  console.log(`worker join → Node Ready (baseline)       ${worker.ms.toFixed(0)} ms`);
  for (const name of ['cp2', 'cp3']) {
    const cp = must(`${name} join`, await kubeforge([...common(name), '--control-plane', '--certificate-key', key]));
    const phases = cp.stderr.split('\n').filter((l) => l.includes('completed in')).map((l) => l.replace(/ completed in /, ' ')).join(', ');
    console.log(`control-plane join ${name} → Ready + member promoted ${cp.ms.toFixed(0)} ms  ratio vs worker join ${(cp.ms / worker.ms).toFixed(2)}  (${phases})`);
  }

  // The etcd leader's node dies while a writer goes on through a follower's API server.
  const members = JSON.parse(must('member list', await kubeforge(['etcd', 'member', 'list', '--root', roots.cp2, '-o', 'json'])).stdout).members;
  const leader = members.find((m) => m.leader).name;
  const writerNode = ['cp2', 'cp3'].find((n) => n !== leader) ?? 'cp2';
  const api = apiClient(`${roots[writerNode]}/etc/kubernetes/admin.conf`);
  const acked = [];
  let failures = 0;
  let stop = false;
  let lastAck = performance.now();
  let longestGap = 0;
  let killedAt = 0;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      const r = await api('POST', '/api/v1/namespaces/default/configmaps', configMap(`w-${i}`));
      if (r.status === 201) {
        const now = performance.now();
        if (killedAt && lastAck < now) longestGap = Math.max(longestGap, now - Math.max(lastAck, killedAt));
        lastAck = now;
        acked.push(`w-${i}`);
      } else failures++;
    }
  })();
  await new Promise((r) => setTimeout(r, 3000));
  const before = acked.length;
  for (const pid of pidsOf(roots[leader])) process.kill(pid, 'SIGKILL');
  killedAt = performance.now();
  const killedWall = Date.now();
  // The controller manager's and scheduler's Leases: renewed after the kill means a live holder has them.
  const leaseMoved = {};
  while (performance.now() - killedAt < 60_000 && (performance.now() - killedAt < 10_000 || Object.keys(leaseMoved).length < 2)) {
    for (const name of ['kube-controller-manager', 'kube-scheduler']) {
      if (leaseMoved[name]) continue;
      const r = await api('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`);
      const renewTime = r.status === 200 ? Date.parse(JSON.parse(r.text).spec.renewTime) : 0;
      if (renewTime > killedWall) leaseMoved[name] = performance.now() - killedAt;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stop = true;
  await writer;
  const list = JSON.parse((await api('GET', '/api/v1/namespaces/default/configmaps')).text);
  const present = new Set(list.items.map((c) => c.metadata.name));
  const lost = acked.filter((n) => !present.has(n));
  console.log(`kill -9 of the etcd leader's node (${leader}); writer through ${writerNode}: ${before} writes before, ${acked.length - before} after; writes resumed after ${longestGap.toFixed(0)} ms; ${failures} failed requests; acknowledged writes lost: ${lost.length} of ${acked.length}`);
  const moved = (name) => (leaseMoved[name] === undefined ? 'not within 60 s' : `${leaseMoved[name].toFixed(0)} ms`);
  console.log(`Leases renewed by a live holder after the kill (lease duration 15 s): kube-controller-manager ${moved('kube-controller-manager')}, kube-scheduler ${moved('kube-scheduler')}`);

  // Snapshot of a cluster with OBJECTS more ConfigMaps, kubeforge against etcdctl on the same member.
  const start = performance.now();
  for (let i = 0; i < OBJECTS; i += 64) {
    await Promise.all(Array.from({ length: Math.min(64, OBJECTS - i) }, (_, j) => api('POST', '/api/v1/namespaces/default/configmaps', configMap(`o-${i + j}`))));
  }
  console.log(`created ${OBJECTS} ConfigMaps in ${(performance.now() - start).toFixed(0)} ms`);
  const file = `${roots[writerNode]}-snapshot.db`;
  const save = must('snapshot save', await kubeforge(['etcd', 'snapshot', 'save', file, '--root', roots[writerNode]]));
  const pki = `${roots[writerNode]}/etc/kubernetes/pki`;
  const baseline = must('etcdctl snapshot save', await run('etcdctl', [`--endpoints=https://${IP[writerNode]}:2379`, `--cacert=${pki}/etcd/ca.crt`, `--cert=${pki}/apiserver-etcd-client.crt`, `--key=${pki}/apiserver-etcd-client.key`, 'snapshot', 'save', `${file}.etcdctl`]));
  console.log(`kubeforge etcd snapshot save (${(statSync(file).size / 1e6).toFixed(1)} MB)     ${save.ms.toFixed(0)} ms  etcdctl snapshot save ${baseline.ms.toFixed(0)} ms  ratio ${(save.ms / baseline.ms).toFixed(2)}`);
  await removeDir(file);
  await removeDir(`${file}.etcdctl`);
} finally {
  if (roots.cp1) await removeDir(`${roots.cp1}.yaml`);
  for (const name of ['w1', 'cp3', 'cp2', 'cp1']) {
    if (!roots[name]) continue;
    await kubeforge(['reset', '--root', roots[name], '-f', '--ignore-preflight-errors=all']);
    for (const pid of pidsOf(roots[name])) process.kill(pid, 'SIGKILL');
    await removeDir(roots[name]);
  }
}
