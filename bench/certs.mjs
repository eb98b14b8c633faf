// Benchmark: `kubeforge certs check-expiration` (cold start: a new node process per run, median of
// 10) and `kubeforge certs renew all` (RSA-2048, median of 5) on a full PKI, each beside a
// baseline: the same expiry facts gathered with one `openssl x509 -enddate` per file, and the
// floor for renewal (11 native RSA-2048 key generations in parallel, no certificates).
// Run `npm run build` first.   node bench/certs.mjs
import { spawnSync } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, removeDir, tempDir } from './lib.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(repo, 'bin/kubeforge.js');
const run = (args) => {
  const start = performance.now();
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubeforge ${args.join(' ')}: ${result.stderr}`);
  return performance.now() - start;
};

const base = await tempDir('kf-bench-certs-');
for (const phase of [['certs', 'all'], ['kubeconfig', 'all'], ['control-plane', 'all'], ['etcd', 'local']]) run(['init', 'phase', ...phase, '--root', base]);

const FILES = ['apiserver', 'apiserver-kubelet-client', 'front-proxy-client', 'etcd/server', 'etcd/peer', 'etcd/healthcheck-client', 'apiserver-etcd-client', 'ca', 'front-proxy-ca', 'etcd/ca']
  .map((f) => path.join(base, 'etc/kubernetes/pki', `${f}.crt`));
const CONFS = ['admin', 'super-admin', 'controller-manager', 'scheduler'].map((c) => path.join(base, 'etc/kubernetes', `${c}.conf`));
const OPENSSL = `for f in ${FILES.join(' ')}; do openssl x509 -in "$f" -noout -enddate; done
for c in ${CONFS.join(' ')}; do grep client-certificate-data "$c" | awk '{print $2}' | base64 -d | openssl x509 -noout -enddate; done`;
const baseline = () => {
  const start = performance.now();
  const result = spawnSync('bash', ['-c', OPENSSL], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return performance.now() - start;
};

const line = (label, times) => {
  const m = median(times);
  console.log(`${label.padEnd(52)} median ${m.toFixed(0).padStart(6)} ms   (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`);
  return m;
};
const times = (n, fn) => Array.from({ length: n }, fn);

console.log('certs check-expiration on a full PKI (11 certificates + 3 CAs), cold start per run');
const nodeBare = line('floor: `node -e 0` (node start-up alone)', times(10, () => {
  const start = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - start;
}));
const check = line('kubeforge certs check-expiration', times(10, () => run(['certs', 'check-expiration', '--root', base])));
const opensslCheck = line('baseline: openssl x509 -enddate per file (14)', times(10, baseline));

console.log('\ncerts renew all (RSA-2048: 7 certificates + 4 kubeconfigs)');
const renewTimes = [];
for (let i = 0; i < 5; i++) {
  const dir = await tempDir('kf-bench-renew-');
  await cp(base, dir, { recursive: true });
  renewTimes.push(run(['certs', 'renew', 'all', '--root', dir]));
  await removeDir(dir);
}
const renew = line('kubeforge certs renew all', renewTimes);
const keygen = promisify(generateKeyPair);
const floorTimes = [];
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  await Promise.all(Array.from({ length: 11 }, () => keygen('rsa', { modulusLength: 2048 })));
  floorTimes.push(performance.now() - start);
}
const floor = line('floor: 11 native RSA-2048 keygens (in-process)', floorTimes);
await removeDir(base);

console.log('');
console.log(`check-expiration: ${check.toFixed(0)} ms (target <= 150 ms: ${check <= 150 ? 'met' : 'missed'}); ${(check - nodeBare).toFixed(0)} ms above bare node start-up; openssl baseline / kubeforge = ${(opensslCheck / check).toFixed(2)}x`);
console.log(`renew all: ${renew.toFixed(0)} ms (target <= 1500 ms: ${renew <= 1500 ? 'met' : 'missed'}); keygen floor ${floor.toFixed(0)} ms`);
