// Part of bench/apiserver.mjs: Secret create throughput through an API server with encryption at
// rest (aescbc) and auditing (templates/audit-policy.yaml, the rotated JSON-lines log) on, beside
// the plain one, both on the same etcd, in alternating rounds (the machine is shared). Target: the
// secured server keeps >= 80% of the plain one's writes per second.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };

function client(port, tls, concurrency) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ...tls });
  const call = (method, p, body) => new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: p, method, agent, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      res.resume(); res.on('end', () => resolve(res.statusCode));
    });
    // The server closed a keep-alive socket that sat idle while the other side ran (Node's advice: retry on a reused socket).
    req.on('error', (err) => (req.reusedSocket && err.code === 'ECONNRESET' ? call(method, p, body).then(resolve, reject) : reject(err)));
    req.end(body ? JSON.stringify(body) : undefined);
  });
  return { call, close: () => agent.destroy() };
}

/**
 * Two fresh API servers on the bench's etcd, equally cold: one with `serverArgs` only, one with
 * the encryption and audit flags too. Returns the printed figures.
 */
export async function writeBenchmark({ dir, repo, main, serverArgs, ports, tls, concurrency, seconds, rounds, children }) {
  const config = path.join(dir, 'encryption-config.yaml');
  writeFileSync(config, ['apiVersion: apiserver.config.k8s.io/v1', 'kind: EncryptionConfiguration', 'resources:', '- resources: [secrets]', '  providers:',
    `  - aescbc: {keys: [{name: key1, secret: ${randomBytes(32).toString('base64')}}]}`, '  - identity: {}', ''].join('\n'), { mode: 0o600 });
  mkdirSync(path.join(dir, 'audit'), { recursive: true });
  const secure = [`--encryption-provider-config=${config}`, `--audit-policy-file=${path.join(repo, 'templates/audit-policy.yaml')}`,
    `--audit-log-path=${path.join(dir, 'audit/audit.log')}`, '--audit-log-maxage=30', '--audit-log-maxbackup=10', '--audit-log-maxsize=100'];
  const sides = [['plain', []], ['encryption + audit', secure]].map(([name, extra], i) => {
    const server = spawn(process.execPath, [main, ...serverArgs(ports[i]), ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(server);
    return { name, server, pid: server.pid, client: client(ports[i], tls, concurrency), writes: 0, seconds: 0, cpu: 0 };
  });
  for (const side of sides) {
    for (let i = 0; ; i++) { try { if ((await side.client.call('GET', '/readyz')) === 200) break; } catch { /* starting */ } if (i > 200) throw new Error(`${side.name} API server not ready`); await sleep(100); }
  }
  await sides[0].client.call('POST', '/api/v1/namespaces', { metadata: { name: 'bench-writes' } });
  let serial = 0;
  const round = async (side) => {
    const started = performance.now(); const deadline = started + seconds * 1000; const cpuBefore = cpuSeconds(side.pid);
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const name = `s-${serial++}`;
        const status = await side.client.call('POST', '/api/v1/namespaces/bench-writes/secrets', { metadata: { name }, type: 'Opaque', data: { payload: randomBytes(192).toString('base64') } });
        if (status !== 201) throw new Error(`${side.name}: POST secret ${status}`);
        side.writes++;
      }
    }));
    side.seconds += (performance.now() - started) / 1000;
    side.cpu += cpuSeconds(side.pid) - cpuBefore;
  };
  // A warm-up round each: the secured server has just started (JIT, RBAC caches).
  for (const side of sides) { await round(side); Object.assign(side, { writes: 0, seconds: 0, cpu: 0 }); }
  for (let r = 0; r < rounds; r++) for (const side of r % 2 ? [...sides].reverse() : sides) await round(side);
  for (const side of sides) side.client.close();
  const [plain, secured] = sides.map((s) => Math.round(s.writes / s.seconds));
  console.log(`Secret creates/s: plain ${plain}, encryption (aescbc) + audit log on ${secured} (${concurrency} clients, ${rounds} alternating rounds of ${seconds}s, two fresh API servers)`);
  console.log(`Write throughput with encryption and audit = ${((secured / plain) * 100).toFixed(1)}% of without (target >= 80%)`);
  const [plainCpu, secureCpu] = sides.map((s) => (s.cpu / s.writes) * 1e6);
  console.log(`API server CPU per Secret create: plain ${plainCpu.toFixed(0)} µs, encryption + audit ${secureCpu.toFixed(0)} µs (user+system, independent of outside load)`);
  for (const side of sides) side.server.kill('SIGTERM');
  return { plain, secured };
}
