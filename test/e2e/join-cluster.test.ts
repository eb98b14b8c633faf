/**
 * Issue 6 acceptance, through the built CLI (run `npm run build` first), checked with the real
 * kubectl and openssl: one `kubeforge init` on 127.0.0.40, then workers joined from the printed
 * command, each its own root and loopback address (127.0.0.46–49). The controller manager runs
 * with a 25 s node-monitor-grace-period (Leases renew every 10 s, so a grace of 10 s would mark
 * healthy nodes Unknown whenever one renewal runs late) and a 2m10s cluster-signing-duration (v1beta4
 * controllerManager.extraArgs) so that node loss and client-certificate rotation fit in the test:
 * the signer backdates notBefore by 5 min, so a 2m10s certificate lives 430 s and the agent
 * rotates it 1–87 s after it was issued. cp1 takes part too: init's kubelet-finalize points its
 * kubelet.conf at kubelet-client-current.pem, which its agent seeded from the embedded certificate
 * and rotated at once.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { lstat, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentArgs } from '../../src/phases/agent-start.js';
import { kubeforge, resetRoots, tempRoot, tool } from '../helpers/cli.js';
import { waitFor } from '../helpers/kubectl.js';

const CP = '127.0.0.40';
const WORKERS = { w1: '127.0.0.46', w2: '127.0.0.47', w3: '127.0.0.48' } as const;
const SPARE = '127.0.0.49';

const CONFIG = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${CP}
nodeRegistration:
  name: cp1
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking:
  podSubnet: 10.225.0.0/16
  serviceSubnet: 10.125.0.0/16
controllerManager:
  extraArgs:
  - name: node-monitor-grace-period
    value: 25s
  - name: cluster-signing-duration
    value: 2m10s
`;

const roots: string[] = [];
const cleanups: Array<() => Promise<void>> = [];
let cp: string;
let joinArgs: string[];
const workerRoot: Record<string, string> = {};
let w1JoinedAt = 0;
let initStderr = '';

async function newRoot(prefix: string): Promise<string> {
  const { dir, cleanup } = await tempRoot(prefix);
  roots.push(dir);
  cleanups.push(cleanup);
  return dir;
}

const kubectl = (args: string[]) => tool('kubectl', ['--kubeconfig', `${cp}/etc/kubernetes/admin.conf`, ...args]);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(args: string[]): Promise<any> {
  const r = await kubectl([...args, '-o', 'json']);
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

interface NodeView { ready?: string; taints: string[] }
async function node(name: string): Promise<NodeView> {
  const n = await json(['get', 'node', name]);
  return {
    ready: n.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status,
    taints: (n.spec?.taints ?? []).map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`),
  };
}

interface CsrView { name: string; username: string; subject: string; conditions: string[]; issued: boolean }
/** Every CSR with the subject its request carries (decoded with openssl). */
async function csrs(): Promise<CsrView[]> {
  const list = await json(['get', 'csr']);
  const out: CsrView[] = [];
  for (const item of list.items) {
    const pem = Buffer.from(item.spec.request, 'base64').toString('utf8');
    const subject = (await tool('openssl', ['req', '-noout', '-subject', '-nameopt', 'RFC2253'], pem)).stdout.trim();
    out.push({
      name: item.metadata.name,
      username: item.spec.username,
      subject,
      conditions: (item.status?.conditions ?? []).map((c: { type: string }) => c.type),
      issued: Boolean(item.status?.certificate),
    });
  }
  return out;
}
const csrsOf = async (nodeName: string) => (await csrs()).filter((c) => c.subject.includes(`CN=system:node:${nodeName}`));

const join = (root: string, nodeName: string, ip: string, args = joinArgs, extra: string[] = []) =>
  kubeforge([...args, '--root', root, '--node-name', nodeName, '--node-ip', ip, '--ignore-preflight-errors', 'all', ...extra]);

async function agentPid(root: string): Promise<number> {
  return (JSON.parse(await readFile(path.join(root, 'run/kubeforge/agent.pid'), 'utf8')) as { pid: number }).pid;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  cp = await newRoot('kf-jc-cp-');
  const config = path.join(cp, '..', `${path.basename(cp)}.yaml`);
  await writeFile(config, CONFIG);
  cleanups.push(() => import('node:fs/promises').then((fs) => fs.rm(config, { force: true })));
  const init = await kubeforge(['init', '--root', cp, '--config', config, '--ignore-preflight-errors=all']);
  expect(init.exitCode, init.stderr).toBe(0);
  initStderr = init.stderr;
  const printed = init.stdout.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
  expect(printed, init.stdout).not.toBeNull();
  joinArgs = [...printed![1]!.split(/\s+/), ...printed![2]!.split(/\s+/)];
}, 120_000);

afterAll(async () => {
  // workers first, then the control plane (reverse creation order)
  const leftovers = await resetRoots(roots);
  for (const cleanup of cleanups) await cleanup();
  expect(leftovers).toEqual({});
}, 120_000);

/** The serial of a node's current client certificate (kubelet-client-current.pem). */
async function clientSerial(root: string): Promise<string> {
  return (await tool('openssl', ['x509', '-in', path.join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem'), '-noout', '-serial'])).stdout.trim();
}

describe('kubeforge join into a kubeforge init cluster', () => {
  it("points cp1's kubelet.conf at kubelet-client-current.pem after init (kubelet-finalize), which the other commands read", async () => {
    expect(initStderr).toContain('[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key');
    const conf = await readFile(path.join(cp, 'etc/kubernetes/kubelet.conf'), 'utf8');
    expect(conf).toContain('    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n');
    expect(conf).not.toMatch(/client-(certificate|key)-data/);
    const current = path.join(cp, 'var/lib/kubelet/pki/kubelet-client-current.pem');
    expect((await lstat(current)).isSymbolicLink()).toBe(true);
    expect(await readlink(current)).toMatch(/^kubelet-client-\d{4}(-\d\d){5}\.pem$/);
    expect((await tool('openssl', ['verify', '-CAfile', path.join(cp, 'etc/kubernetes/pki/ca.crt'), current])).exitCode).toBe(0);
    expect((await tool('openssl', ['x509', '-in', current, '-noout', '-subject'])).stdout.trim()).toBe('subject=O = system:nodes, CN = system:node:cp1');
    const expiration = JSON.parse((await kubeforge(['certs', 'check-expiration', '--root', cp, '-o', 'json'])).stdout) as { certificates: { name: string; missing: boolean }[] };
    expect(expiration.certificates).toContainEqual(expect.objectContaining({ name: 'kubelet-client-current.pem', missing: false }));
    const verify = JSON.parse((await kubeforge(['certs', 'verify', '--root', cp, '-o', 'json'])).stdout) as { findings: { severity: string; subject: string }[] };
    expect(verify.findings.filter((f) => f.subject === 'kubelet.conf' && f.severity === 'error')).toEqual([]);
    expect((await node('cp1')).ready).toBe('True');
  });

  it('joins w1 from the printed command: Ready, its CSR Approved,Issued, a client cert for system:node:w1 signed by the cluster CA', async () => {
    const root = (workerRoot.w1 = await newRoot('kf-jc-w1-'));
    const started = Date.now();
    const res = await join(root, 'w1', WORKERS.w1);
    w1JoinedAt = Date.now();
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toContain('This node has joined the cluster');
    console.log(`join w1: ${w1JoinedAt - started} ms to exit 0`);

    const nodes = await kubectl(['get', 'nodes']);
    console.log(nodes.stdout);
    expect(nodes.stdout).toMatch(/^cp1\s+Ready\s/m);
    expect(nodes.stdout).toMatch(/^w1\s+Ready\s/m);

    const table = await kubectl(['get', 'csr']);
    console.log(table.stdout);
    const [bootstrap] = await csrsOf('w1');
    expect(bootstrap).toBeDefined();
    expect(bootstrap!.username).toBe(`system:bootstrap:${joinArgs[3]!.split('.')[0]}`);
    expect(table.stdout).toMatch(new RegExp(`^${bootstrap!.name}\\s.*Approved,Issued\\s*$`, 'm'));

    const current = path.join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem');
    const verify = await tool('openssl', ['verify', '-CAfile', path.join(cp, 'etc/kubernetes/pki/ca.crt'), current]);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(': OK');
    const subject = await tool('openssl', ['x509', '-in', current, '-noout', '-subject']);
    expect(subject.stdout.trim()).toBe('subject=O = system:nodes, CN = system:node:w1');
  });

  it('joins two more workers with the same token: three workers and cp1 all Ready', async () => {
    const [w2, w3] = await Promise.all([newRoot('kf-jc-w2-'), newRoot('kf-jc-w3-')]);
    workerRoot.w2 = w2;
    workerRoot.w3 = w3;
    const results = await Promise.all([join(w2, 'w2', WORKERS.w2), join(w3, 'w3', WORKERS.w3)]);
    for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
    const list = await json(['get', 'nodes']);
    const ready = list.items
      .filter((n: { status: { conditions: { type: string; status: string }[] } }) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((n: { metadata: { name: string } }) => n.metadata.name)
      .sort();
    expect(ready).toEqual(['cp1', 'w1', 'w2', 'w3']);
    for (const name of ['w2', 'w3']) {
      const [first] = await csrsOf(name);
      expect(first?.username).toBe(`system:bootstrap:${joinArgs[3]!.split('.')[0]}`);
    }
  });

  it('expires a short-lived token: gone from token list and cluster-info, and a join with it fails naming the cause', async () => {
    const expiresAt = Date.now() + 5000;
    const created = await kubeforge(['token', 'create', '--root', cp, '--ttl', '5s']);
    expect(created.exitCode, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const id = token.split('.')[0]!;
    const jwsKeys = async () => Object.keys((await json(['get', 'configmap', '-n', 'kube-public', 'cluster-info'])).data ?? {});
    // the bootstrapsigner signs it first ...
    await waitFor(`jws-kubeconfig-${id} in cluster-info`, async () => (await jwsKeys()).includes(`jws-kubeconfig-${id}`), 10_000);
    expect((await kubeforge(['token', 'list', '--root', cp])).stdout).toContain(token);
    // ... and once it expires the tokencleaner deletes it and the bootstrapsigner drops its JWS
    await waitFor('the token to leave token list', async () => !(await kubeforge(['token', 'list', '--root', cp])).stdout.includes(id), 30_000, 1000);
    console.log(`token gone from token list ${Date.now() - expiresAt} ms after its expiry`);
    expect((await kubectl(['get', 'secret', '-n', 'kube-system', `bootstrap-token-${id}`])).stderr).toContain('NotFound');
    await waitFor('its JWS to leave cluster-info', async () => !(await jwsKeys()).includes(`jws-kubeconfig-${id}`), 10_000);
    expect(await jwsKeys()).toContain(`jws-kubeconfig-${joinArgs[3]!.split('.')[0]}`);

    const root = await newRoot('kf-jc-expired-');
    const args = [...joinArgs];
    args[3] = token;
    const res = await join(root, 'wx', SPARE, args, ['--discovery-timeout', '2s']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain('KF_DISCOVERY_TOKEN_UNKNOWN');
    expect(res.stderr).toContain(`token id "${id}" not found among the signed cluster-info: the token is unknown, expired, or not allowed to sign`);
    expect(res.stderr).not.toContain(token.split('.')[1]);
  });

  it('marks w1 Unknown with the unreachable taint when its agent stops, and Ready again when it restarts', async () => {
    const root = workerRoot.w1!;
    const pid = await agentPid(root);
    process.kill(pid, 'SIGTERM');
    const stoppedAt = Date.now();
    await waitFor('the w1 agent to exit', async () => !alive(pid), 20_000);
    const lost = await waitFor('w1 to go Unknown with the unreachable taint', async () => {
      const n = await node('w1');
      return n.ready !== 'True' && n.taints.includes('node.kubernetes.io/unreachable:NoExecute') && n;
    }, 60_000, 1000);
    const lostMs = Date.now() - stoppedAt;
    console.log(`w1 ${JSON.stringify(lost)} ${lostMs} ms after its agent stopped`);
    expect(lost.ready).toBe('Unknown');
    expect(lostMs).toBeLessThan(60_000);
    // the other nodes are untouched
    expect((await node('w2')).ready).toBe('True');

    const logFd = openSync(path.join(root, 'var/log/kubeforge/agent.log'), 'a');
    const child = spawn(process.execPath, agentArgs(root, 'w1', WORKERS.w1), { detached: true, stdio: ['ignore', logFd, logFd] });
    child.unref();
    closeSync(logFd);
    const restartedAt = Date.now();
    await waitFor('w1 Ready again without the unreachable taint', async () => {
      const n = await node('w1');
      return n.ready === 'True' && !n.taints.some((t) => t.startsWith('node.kubernetes.io/unreachable')) && n;
    }, 30_000);
    console.log(`w1 Ready again ${Date.now() - restartedAt} ms after its agent restarted`);
    expect(await agentPid(root)).toBe(child.pid);
  }, 120_000);

  it('rotates w1 client certificate twice and cp1 its own through selfnodeclient CSRs while both stay Ready', async () => {
    const root = workerRoot.w1!;
    const pid = await agentPid(root);
    const cp1Serial = await clientSerial(cp);
    const started = Date.now();
    const notReady: string[] = [];
    const readyCheck = async (name: string) => {
      const n = await node(name);
      if (n.ready !== 'True') notReady.push(`${new Date().toISOString()} ${name} ${n.ready}`);
    };
    const rotations = await waitFor('two rotations of w1 client certificate', async () => {
      await readyCheck('cp1');
      await readyCheck('w1');
      const rotated = (await csrsOf('w1')).filter((c) => c.username === 'system:node:w1');
      return rotated.length >= 2 && rotated;
    }, Math.max(10_000, 200_000 - (Date.now() - w1JoinedAt)), 2000);
    // cp1's certificate (2m10s from the signer, rotated 1-87 s after issue) changes within the same wait.
    await waitFor("a rotation of cp1's client certificate", async () => {
      await readyCheck('cp1');
      return (await clientSerial(cp)) !== cp1Serial;
    }, Math.max(10_000, 100_000 - (Date.now() - started)), 2000);
    const cp1Rotations = (await csrsOf('cp1')).filter((c) => c.username === 'system:node:cp1');
    expect(cp1Rotations.length).toBeGreaterThanOrEqual(2); // the one right after init, and this one
    for (const r of cp1Rotations) expect(r.issued).toBe(true);
    expect(await readFile(path.join(cp, 'etc/kubernetes/kubelet.conf'), 'utf8')).not.toContain('client-certificate-data');
    console.log(`rotations of w1 (${Math.round((Date.now() - w1JoinedAt) / 1000)} s after join):\n${(await kubectl(['get', 'csr'])).stdout}`);
    for (const r of rotations) expect(r.conditions).toEqual(['Approved']);
    for (const r of rotations) expect(r.issued).toBe(true);
    expect(notReady).toEqual([]);
    expect(await agentPid(root)).toBe(pid);
    expect(alive(pid)).toBe(true);

    // the current certificate is the latest one, valid, and still the node's identity; the Lease is renewed with it
    const current = path.join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem');
    await waitFor('the agent to renew its Lease with the rotated certificate', async () => {
      const lease = await json(['get', 'lease', '-n', 'kube-node-lease', 'w1']);
      return Date.now() - Date.parse(lease.spec.renewTime) < 15_000;
    }, 20_000);
    expect((await tool('openssl', ['verify', '-CAfile', path.join(cp, 'etc/kubernetes/pki/ca.crt'), current])).exitCode).toBe(0);
    const dates = (await tool('openssl', ['x509', '-in', current, '-noout', '-subject', '-startdate', '-enddate'])).stdout;
    console.log(dates);
    expect(dates).toContain('subject=O = system:nodes, CN = system:node:w1');
    expect((await node('w1')).ready).toBe('True');
  }, 240_000);

  it('runs init again on the finalized cp1: kubelet.conf is reused as it is, the addons are updated and cp1 stays Ready', async () => {
    const conf = path.join(cp, 'etc/kubernetes/kubelet.conf');
    const before = await readFile(conf, 'utf8');
    const config = path.join(cp, '..', `${path.basename(cp)}.yaml`);
    const again = await kubeforge(['init', '--root', cp, '--config', config, '--ignore-preflight-errors=all']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain('[addons] Applied essential addon: CoreDNS');
    expect(again.stderr).toContain('[kubeconfig] Using existing kubeconfig file: "/etc/kubernetes/kubelet.conf"');
    expect(again.stderr).toContain('[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf"');
    expect(await readFile(conf, 'utf8')).toBe(before);
    expect((await node('cp1')).ready).toBe('True');
  }, 120_000);
});
