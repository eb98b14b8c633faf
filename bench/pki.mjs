// Benchmark: the full kubeadm PKI (10 certificates + sa key pair) made by kubeforge vs. the same
// set made by a shell script driving the openssl CLI. Run `npx tsc -p tsconfig.build.json` first.
//   node bench/pki.mjs [runs]
import { spawnSync } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { defaultInitConfig } from '../dist/config/defaults.js';
import { createHost } from '../dist/host/index.js';
import { createLogger } from '../dist/log.js';
import { ensureCertificates, ensureServiceAccountKeys } from '../dist/pki/index.js';
import { report, timeRuns } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 7);
const quiet = createLogger({ write: () => {} });

function config(algorithm) {
  const cfg = defaultInitConfig('node-a', '127.0.0.2');
  cfg.cluster.encryptionAlgorithm = algorithm;
  return cfg;
}

async function kubeforgeSet(root, algorithm) {
  const host = createHost(root);
  const cfg = config(algorithm);
  await Promise.all([ensureCertificates(host, cfg, quiet), ensureServiceAccountKeys(host, cfg, quiet)]);
}

// The same files, subjects, SANs and usages with the openssl CLI (one process per certificate,
// key generated in the same process), the way an operator would script it.
const OPENSSL_SCRIPT = `
set -euo pipefail
cd "$1"; mkdir -p etcd
ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days 3650 -subj "/CN=$2" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
  -addext "subjectAltName=DNS:$2" 2>/dev/null; }
leaf() { # base ca subject eku [san]
  local ext=(-addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature,keyEncipherment" -addext "extendedKeyUsage=$4")
  [ -n "\${5:-}" ] && ext+=(-addext "subjectAltName=$5")
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days 365 -subj "$3" -CA "$2.crt" -CAkey "$2.key" "\${ext[@]}" 2>/dev/null
}
ca ca kubernetes
leaf apiserver ca /CN=kube-apiserver serverAuth "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:node-a,IP:10.96.0.1,IP:127.0.0.2"
leaf apiserver-kubelet-client ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth
ca front-proxy-ca front-proxy-ca
leaf front-proxy-client front-proxy-ca /CN=front-proxy-client clientAuth
ca etcd/ca etcd-ca
leaf etcd/server etcd/ca /CN=node-a serverAuth,clientAuth "DNS:localhost,DNS:node-a,IP:127.0.0.2,IP:127.0.0.1,IP:::1"
leaf etcd/peer etcd/ca /CN=node-a serverAuth,clientAuth "DNS:localhost,DNS:node-a,IP:127.0.0.2,IP:127.0.0.1,IP:::1"
leaf etcd/healthcheck-client etcd/ca /CN=kube-etcd-healthcheck-client clientAuth
leaf apiserver-etcd-client etcd/ca /CN=kube-apiserver-etcd-client clientAuth
openssl genrsa -traditional -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
chmod 600 *.key etcd/*.key
times
`;

/** Runs the script; returns the CPU time of its child processes (bash's `times`), in ms. */
function opensslSet(dir) {
  const result = spawnSync('bash', ['-c', OPENSSL_SCRIPT, 'openssl-pki', dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl script failed: ${result.stderr}`);
  const childLine = result.stdout.trim().split('\n').pop() ?? '';
  const seconds = [...childLine.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return seconds.reduce((a, b) => a + b, 0) * 1000;
}

console.log(`kubeadm PKI set (10 certificates + sa), ${RUNS} runs each, median wall time`);
const ours = report('kubeforge RSA-2048', await timeRuns(RUNS, 'kf-bench-pki-', (dir) => kubeforgeSet(dir, 'RSA-2048')));
const openssl = report('openssl CLI script RSA-2048', await timeRuns(RUNS, 'kf-bench-openssl-', async (dir) => opensslSet(dir)));
// The floor for RSA: just the 11 native RSA-2048 key generations, in parallel, no certificates.
const keygen = promisify(generateKeyPair);
report('floor: 11 native RSA-2048 keygens only', await timeRuns(RUNS, 'kf-bench-keygen-', () => Promise.all(Array.from({ length: 11 }, () => keygen('rsa', { modulusLength: 2048 })))));
const ecdsa = report('kubeforge ECDSA-P256', await timeRuns(RUNS, 'kf-bench-pki-ec-', (dir) => kubeforgeSet(dir, 'ECDSA-P256')));
console.log('');
console.log(`ratio openssl / kubeforge (RSA-2048): ${(openssl / ours).toFixed(2)}x  (target >= 2x; RSA median target <= 1000 ms: ${ours <= 1000 ? 'met' : 'missed'})`);
console.log(`ECDSA-P256 median ${ecdsa.toFixed(0)} ms (target <= 80 ms: ${ecdsa <= 80 ? 'met' : 'missed'})`);
