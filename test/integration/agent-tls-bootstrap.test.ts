/**
 * The agent's TLS bootstrap and client certificate rotation against real etcd and the bundled
 * API server: a bootstrap token, a CSR approved and signed by the controller manager's own
 * csrapproving and csrsigning controllers (under kubeadm's RBAC), kubelet.conf written, and rotation without a restart; and the
 * kubelet.conf `init` writes (certificate embedded) seeding the store and rotated at once.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../src/agent/index.js';
import { buildKubeconfig } from '../../src/kubeconfig/index.js';
import { issueClientCertificate, loadCertificate } from '../../src/pki/index.js';
import {
  agentLogs, bootstrapTokenObjects, clusterCa, KUBELET_CONF, prepareAgentRoot, startCsrControllers, startNodeAgent, writeBootstrapConf, type AgentRoot,
} from '../helpers/agent-cluster.js';
import { cleanupRoot, sleep, waitFor } from '../helpers/agent-harness.js';
import { startTestCluster, type TestCluster } from '../helpers/apiserver-harness.js';

let cluster: TestCluster;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  const applied = await cluster.kubectl(['create', '--validate=false', '-f', '-'], { input: bootstrapTokenObjects('abcdef', '0123456789abcdef') });
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') for (const [root, lines] of agentLogs) console.error(`agent log of ${root}:\n${lines.join('\n')}`);
  agentLogs.clear();
  for (const c of cleanups.splice(0).reverse()) await c();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(args: string[]): Promise<any> {
  const r = await cluster.kubectl([...args, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

async function bootstrappedAgent(name: string, validityMs: number | undefined, rotationFraction?: number): Promise<{ r: AgentRoot; agent: RunningAgent }> {
  if (validityMs !== undefined) cleanups.push(await startCsrControllers(cluster, validityMs));
  const r = await prepareAgentRoot(cluster, name, { kubeconfig: false });
  cleanups.push(() => cleanupRoot(r.root));
  await writeBootstrapConf(cluster, r.host, 'abcdef.0123456789abcdef');
  const agent = await startNodeAgent(r, { certificateCheckMs: 200, ...(rotationFraction ? { rotationFraction: () => rotationFraction } : {}) });
  cleanups.push(() => agent.stop('terminate'));
  return { r, agent };
}

const ready = async (name: string) => (await json(['get', 'node', name]))?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status === 'True';

describe('TLS bootstrap', () => {
  it('obtains a node client certificate through a CSR, writes kubelet.conf and registers', async () => {
    const { r } = await bootstrappedAgent('n-boot', 24 * 3600_000);
    await waitFor('node n-boot Ready', () => ready('n-boot'), 30_000);
    const csrs = (await json(['get', 'csr'])).items.filter((c: { spec: { username: string } }) => c.spec.username === 'system:bootstrap:abcdef');
    expect(csrs).toHaveLength(1);
    expect(csrs[0].metadata.name).toMatch(/^node-csr-/);
    expect(csrs[0].spec).toMatchObject({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] });
    // Approved by csrapproving after a SubjectAccessReview that kubeadm's nodeclient binding allows.
    expect(csrs[0].status.conditions).toEqual([expect.objectContaining({ type: 'Approved', reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' })]);
    const current = r.host.files.resolve('/var/lib/kubelet/pki/kubelet-client-current.pem');
    expect(lstatSync(current).isSymbolicLink()).toBe(true);
    expect(readlinkSync(current)).toMatch(/^kubelet-client-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.pem$/);
    expect(statSync(current).mode & 0o777).toBe(0o600);
    const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-in', current], { encoding: 'utf8' });
    expect(subject).toMatch(/O\s*=\s*system:nodes, CN\s*=\s*system:node:n-boot/);
    execFileSync('openssl', ['verify', '-CAfile', cluster.pki.ca.cert, current]);
    const kubeletConf = (await r.host.files.readFile('/etc/kubernetes/kubelet.conf')).toString();
    expect(kubeletConf).toContain('client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem');
    expect(await r.host.files.exists('/etc/kubernetes/bootstrap-kubelet.conf')).toBe(false);
  }, 60_000);

  it('rotates the client certificate with a new CSR before it expires and stays Ready', async () => {
    const { r } = await bootstrappedAgent('n-rotate', 6000, 0.5);
    await waitFor('node n-rotate Ready', () => ready('n-rotate'), 30_000);
    const link = r.host.files.resolve('/var/lib/kubelet/pki/kubelet-client-current.pem');
    const first = readlinkSync(link);
    const second = await waitFor('a rotated certificate', () => readlinkSync(link) !== first && readlinkSync(link), 20_000);
    const third = await waitFor('a second rotation', () => readlinkSync(link) !== second && readlinkSync(link), 20_000);
    expect(third).not.toBe(first);
    const csrs = (await json(['get', 'csr'])).items.filter((c: { spec: { username: string } }) => c.spec.username === 'system:node:n-rotate');
    expect(csrs.length).toBeGreaterThanOrEqual(2);
    const rotatedAt = Date.now();
    await waitFor('a lease renewed with the rotated certificate', async () => {
      const lease = await json(['get', 'lease', '-n', 'kube-node-lease', 'n-rotate']);
      return lease && Date.parse(lease.spec.renewTime) > rotatedAt;
    }, 10_000);
    expect(await ready('n-rotate')).toBe(true);
  }, 90_000);

  it('posts a new CSR after one is denied, and registers once a CSR is signed', async () => {
    const { r } = await bootstrappedAgent('n-deny', undefined);
    const ofDeny = async () => (await json(['get', 'csr'])).items.filter((c: { metadata: { name: string }; spec: { username: string } }) => c.spec.username === 'system:bootstrap:abcdef' && agentLogs.get(r.root)!.some((l) => l.includes(c.metadata.name)));
    const [firstCsr] = await waitFor('the first CSR', async () => {
      const found = await ofDeny();
      return found.length > 0 && found;
    }, 20_000);
    const denied = await cluster.kubectl(['certificate', 'deny', firstCsr.metadata.name]);
    expect(denied.code, denied.stderr).toBe(0);
    await waitFor('the agent to report the denial', () => agentLogs.get(r.root)!.some((l) => l.includes(`${firstCsr.metadata.name} was denied`)), 10_000);
    await waitFor('a second CSR', async () => (await ofDeny()).length >= 2, 10_000);
    expect(await r.host.files.exists('/etc/kubernetes/kubelet.conf')).toBe(false);
    cleanups.push(await startCsrControllers(cluster, 24 * 3600_000));
    await waitFor('node n-deny Ready', () => ready('n-deny'), 30_000);
  }, 60_000);
});

describe('the kubelet.conf init writes (client certificate embedded)', () => {
  it('is copied to kubelet-client-current.pem and rotated at once; the agent keeps talking with the rotated certificate after the embedded one expired', async () => {
    cleanups.push(await startCsrControllers(cluster, 24 * 3600_000));
    const r = await prepareAgentRoot(cluster, 'n-seed', { kubeconfig: false });
    cleanups.push(() => cleanupRoot(r.root));
    const ca = await clusterCa(cluster);
    const embedded = await issueClientCertificate(ca, { commonName: 'system:node:n-seed', organizations: ['system:nodes'] }, 'ECDSA-P256', 8000, new Date());
    const conf = buildKubeconfig({ clusterName: 'kubernetes', userName: 'system:node:n-seed', server: cluster.url, caPem: ca.certPem, clientCertPem: embedded.certPem, clientKeyPem: embedded.keyPem });
    await r.host.files.writeFile(KUBELET_CONF, conf, { mode: 0o600 });
    const agent = await startNodeAgent(r, { certificateCheckMs: 200 });
    cleanups.push(() => agent.stop('terminate'));

    const current = r.host.files.resolve('/var/lib/kubelet/pki/kubelet-client-current.pem');
    const embeddedSerial = loadCertificate(embedded.certPem).serialNumber;
    await waitFor('the rotated certificate in the store', async () => {
      const pem = await r.host.files.tryReadFile('/var/lib/kubelet/pki/kubelet-client-current.pem');
      return pem !== undefined && loadCertificate(pem).serialNumber !== embeddedSerial;
    }, 20_000);
    const csrs = (await json(['get', 'csr'])).items.filter((c: { spec: { username: string } }) => c.spec.username === 'system:node:n-seed');
    expect(csrs).toHaveLength(1);
    expect(csrs[0].metadata.name).toMatch(/^csr-/);
    execFileSync('openssl', ['verify', '-CAfile', cluster.pki.ca.cert, current]);

    // kubelet.conf still embeds the 8 s certificate; once it has expired, a new connection (a new TLS
    // handshake: kept-alive ones were authenticated before) still renews the Lease.
    await sleep(Math.max(0, loadCertificate(embedded.certPem).notAfter.getTime() + 1000 - Date.now()));
    const expiredAt = Date.now();
    agent.apiConnection!.reload();
    await waitFor('a Lease renewed after the embedded certificate expired', async () => {
      const lease = await json(['get', 'lease', '-n', 'kube-node-lease', 'n-seed']);
      return lease && Date.parse(lease.spec.renewTime) > expiredAt;
    }, 10_000);
    expect((await r.host.files.readFile(KUBELET_CONF)).toString()).toBe(conf);
    expect(await ready('n-seed')).toBe(true);
  }, 60_000);
});
