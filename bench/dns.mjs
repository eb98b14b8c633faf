// Benchmark: the bundled cluster DNS server (what `kubeforge component coredns` runs), in a
// process of its own on 127.0.0.164, holding 1,000 Services in 10 namespaces, answering A
// queries for random service names from ONE client (one UDP socket, 64 queries in flight) for a
// few seconds. Baseline in the same run, same client: a UDP responder on 127.0.0.165 that sends
// back a prepared answer without reading the query — the floor of this client and the loopback
// path on this machine. Three alternating rounds of each; prints the median round's queries/s,
// the ratio, and its p50/p99 latency.
// Target (issue 14): ≥ 5,000 queries/s for service names from one client.
// Run `npm run build` first.   node bench/dns.mjs [seconds]
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dnsPacket = require('dns-packet');
const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = 3;
const SERVICES = 1000;
const IN_FLIGHT = 64;
const DIST = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../dist');

const SERVER = `
import { DnsHandler, listen } from '${DIST}/dns/server.js';
import { buildClusterIndex } from '${DIST}/dns/cluster-state.js';
import { parseCorefile } from '${DIST}/dns/corefile.js';
import { corefile } from '${DIST}/bootstrap/addons.js';
const [block] = parseCorefile(corefile('cluster.local'));
const services = Array.from({ length: ${SERVICES} }, (_, i) => ({ metadata: { name: 'svc-' + i, namespace: 'ns-' + (i % 10) }, spec: { clusterIP: '10.116.' + (i >> 8) + '.' + (i & 255), ports: [{ name: 'http', port: 80 }] } }));
const index = buildClusterIndex(services, new Map());
const log = { info() {}, warn() {}, debug() {} };
const l = await listen(new DnsHandler({ blocks: [{ block }], index: () => index, log }), '127.0.0.164', 0, log);
console.log(l.port);
`;

const FLOOR = `
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
const dnsPacket = createRequire('${DIST}/')('dns-packet');
const answer = dnsPacket.encode({ type: 'response', id: 0, flags: 0x8400, questions: [{ name: 'svc-1.ns-1.svc.cluster.local', type: 'A' }], answers: [{ name: 'svc-1.ns-1.svc.cluster.local', type: 'A', ttl: 30, data: '10.116.0.1' }] });
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => { const out = Buffer.from(answer); m.copy(out, 0, 0, 2); s.send(out, r.port, r.address); });
s.bind(0, '127.0.0.165', () => console.log(s.address().port));
`;

function startChild(code) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

/** One client, IN_FLIGHT queries outstanding, for SECONDS: queries/s and latencies. */
async function load(host, port) {
  const socket = dgram.createSocket('udp4');
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  const sent = new Map();
  const latencies = [];
  let ok = 0;
  let bad = 0;
  let id = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const send = () => {
    if (performance.now() > deadline) return;
    id = (id + 1) & 0xffff;
    const i = Math.floor(Math.random() * SERVICES);
    const q = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: `svc-${i}.ns-${i % 10}.svc.cluster.local`, type: 'A' }] });
    sent.set(id, performance.now());
    socket.send(q, port, host);
  };
  const done = new Promise((resolve) => {
    socket.on('message', (msg) => {
      const rid = msg.readUInt16BE(0);
      const at = sent.get(rid);
      if (at === undefined) return;
      sent.delete(rid);
      latencies.push(performance.now() - at);
      // NOERROR with one answer.
      if ((msg.readUInt16BE(2) & 0xf) === 0 && msg.readUInt16BE(6) === 1) ok++;
      else bad++;
      if (performance.now() <= deadline) send();
      else if (sent.size === 0) resolve();
    });
    setTimeout(resolve, SECONDS * 1000 + 2000);
  });
  const started = performance.now();
  for (let i = 0; i < IN_FLIGHT; i++) send();
  await done;
  const elapsed = (performance.now() - started) / 1000;
  socket.close();
  latencies.sort((a, b) => a - b);
  return { qps: ok / elapsed, ok, bad, lost: sent.size, p50: latencies[latencies.length >> 1], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

const servers = [];
try {
  const floor = await startChild(FLOOR);
  servers.push(floor.child);
  const dns = await startChild(SERVER);
  servers.push(dns.child);
  await load('127.0.0.164', dns.port); // warm-up (JIT), not counted
  // Rounds alternate so load from other work on the machine falls on both alike; medians count.
  const bases = [];
  const results = [];
  for (let round = 0; round < ROUNDS; round++) {
    bases.push(await load('127.0.0.165', floor.port));
    results.push(await load('127.0.0.164', dns.port));
  }
  const median = (runs) => [...runs].sort((a, b) => a.qps - b.qps)[runs.length >> 1];
  const base = median(bases);
  const result = median(results);
  const fmt = (r) => `${Math.round(r.qps)} q/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.ok} answered, ${r.bad} wrong, ${r.lost} lost)`;
  console.log(`baseline  prepared-answer UDP responder, 1 client x ${IN_FLIGHT} in flight: ${fmt(base)}`);
  console.log(`dns       bundled DNS server, ${SERVICES} services, A for service names: ${fmt(result)}`);
  console.log(`ratio     dns / baseline = ${(result.qps / base.qps).toFixed(2)}   target ≥ 5000 q/s: ${result.qps >= 5000 && result.bad === 0 ? 'met' : 'NOT met'}`);
} finally {
  for (const child of servers) child.kill();
}
