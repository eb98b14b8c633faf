/**
 * An agent root wired to a test cluster (real etcd + the bundled API server from
 * apiserver-harness): the cluster CA at /etc/kubernetes/pki/ca.crt, a kubelet.conf with a node
 * client certificate (CN=system:node:<name>, O=system:nodes) signed by the cluster CA, and
 * runAgent with the API side on fast test timings. Also a client for the agent's own API.
 */
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { runAgent, type AgentApiOptions, type RunningAgent } from '../../src/agent/index.js';
import { createHost, type Host } from '../../src/host/index.js';
import { buildKubeconfig } from '../../src/kubeconfig/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { issueClientCertificate, type IssuedCertificate, type Subject } from '../../src/pki/index.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { cleanupRoot, tempRoot } from './agent-harness.js';
import { startTestCluster, type TestCluster } from './apiserver-harness.js';

export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
export const CLUSTER_CA = '/etc/kubernetes/pki/ca.crt';

export async function clusterCa(cluster: TestCluster): Promise<{ certPem: string; keyPem: string }> {
  const [certPem, keyPem] = await Promise.all([readFile(cluster.pki.ca.cert, 'utf8'), readFile(cluster.pki.ca.key, 'utf8')]);
  return { certPem, keyPem };
}

/** A client certificate signed by the cluster CA, valid for a day. */
export async function clusterClientCert(cluster: TestCluster, subject: Subject): Promise<IssuedCertificate> {
  return issueClientCertificate(await clusterCa(cluster), subject, 'ECDSA-P256', 24 * 3600 * 1000, new Date());
}

export interface AgentRoot {
  root: string;
  host: Host;
  nodeName: string;
}

/** A fresh root holding the cluster CA and a kubelet.conf for `nodeName` (without kubelet.conf when `kubeconfig` is false). */
export async function prepareAgentRoot(cluster: TestCluster, nodeName: string, options: { kubeconfig?: boolean } = {}): Promise<AgentRoot> {
  const root = tempRoot();
  const host = createHost(root);
  const ca = await clusterCa(cluster);
  await host.files.writeFile(CLUSTER_CA, ca.certPem, { mode: 0o644 });
  if (options.kubeconfig !== false) await writeKubeletConf(cluster, host, nodeName);
  return { root, host, nodeName };
}

export async function writeKubeletConf(cluster: TestCluster, host: Host, nodeName: string): Promise<void> {
  const ca = await clusterCa(cluster);
  const node = await clusterClientCert(cluster, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] });
  const text = buildKubeconfig({
    clusterName: 'kubernetes',
    userName: `system:node:${nodeName}`,
    server: cluster.url,
    caPem: ca.certPem,
    clientCertPem: node.certPem,
    clientKeyPem: node.keyPem,
  });
  await host.files.writeFile(KUBELET_CONF, text, { mode: 0o600 });
}

/** The agent's log lines, by root (shown when a test fails). */
export const agentLogs = new Map<string, string[]>();

export function startNodeAgent(agentRoot: AgentRoot, api: Partial<AgentApiOptions> = {}): Promise<RunningAgent> {
  const log = createMemoryLogger();
  agentLogs.set(agentRoot.root, log.lines);
  return runAgent({
    root: agentRoot.root,
    nodeName: agentRoot.nodeName,
    nodeAddress: '127.0.0.1',
    log,
    backoffBaseMs: 400,
    rescanMs: 300,
    syncIntervalMs: 200,
    defaultGracePeriodMs: 3000,
    api: {
      kubeconfigPath: KUBELET_CONF,
      clientCAFile: CLUSTER_CA,
      kubeletPort: 0,
      containerRuntimeVersion: 'kubeforge://0.0.0-test',
      statusUpdateMs: 500,
      leaseRenewMs: 300,
      mirrorResyncMs: 1000,
      connectRetryMaxMs: 300,
      ...api,
    },
  });
}

export interface KubeletResponse {
  status: number;
  text: string;
}

/** One GET to the agent's API, with an optional client certificate. */
export function kubeletGet(port: number, path: string, client?: IssuedCertificate, options: { timeoutMs?: number; until?: (text: string) => boolean } = {}): Promise<KubeletResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, rejectUnauthorized: false, ...(client ? { cert: client.certPem, key: client.keyPem } : {}), timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (options.until?.(text)) {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, text });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The controller manager's real csrapproving and csrsigning controllers (no other controller,
 * no leader election, no health port) against the test cluster: they approve what kubeadm's
 * RBAC lets them (SubjectAccessReviews to the API server) and sign with the cluster CA for
 * `validityMs` (--cluster-signing-duration). Returns a stop function that fails the test if the
 * controller manager had failed.
 */
export async function startCsrControllers(cluster: TestCluster, validityMs: number): Promise<() => Promise<void>> {
  const { runControllerManager } = await import('../../src/controlplane/controllers/index.js');
  const log = createMemoryLogger(2);
  const running = await runControllerManager([
    `--kubeconfig=${cluster.kubeconfig}`,
    '--controllers=csrapproving,csrsigning',
    `--cluster-signing-cert-file=${cluster.pki.ca.cert}`,
    `--cluster-signing-key-file=${cluster.pki.ca.key}`,
    `--cluster-signing-duration=${validityMs / 1000}s`,
    '--leader-elect=false',
    '--secure-port=0',
  ], { files: createHost('/').files, log });
  // It ends only on a failure (KF_CONTROLLER_FAILED): keep it to report at stop rather than as an unhandled rejection.
  let failed: unknown;
  running.done.catch((err: unknown) => (failed = err));
  return async () => {
    await running.stop();
    if (failed) throw new Error(`the controller manager failed:\n${log.lines.join('\n')}`, { cause: failed });
  };
}

/** A bootstrap token Secret and kubeadm's bootstrap RBAC, as `init` creates them. */
export function bootstrapTokenObjects(id: string, secret: string): string {
  const group = 'system:bootstrappers:kubeadm:default-node-token';
  const binding = (name: string, role: string, subject: string) =>
    ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: subject }] });
  const items = [
    {
      apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token',
      metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
      stringData: { 'token-id': id, 'token-secret': secret, 'usage-bootstrap-authentication': 'true', 'usage-bootstrap-signing': 'true', 'auth-extra-groups': group, expiration: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    },
    binding('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', group),
    binding('kubeadm:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', group),
    binding('kubeadm:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'system:nodes'),
  ];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** A bootstrap-kubelet.conf (token user) in the root. */
export async function writeBootstrapConf(cluster: TestCluster, host: Host, token: string): Promise<void> {
  const ca = await clusterCa(cluster);
  const text = buildKubeconfig({ clusterName: 'kubernetes', userName: 'tls-bootstrap-token-user', server: cluster.url, caPem: ca.certPem, token });
  await host.files.writeFile('/etc/kubernetes/bootstrap-kubelet.conf', text, { mode: 0o600 });
}

/**
 * One real etcd + API server for a test file, and the agents and roots its tests start,
 * stopped and removed after each test. Registers the vitest hooks; read `cluster` inside tests.
 */
export function useAgentCluster(): { readonly cluster: TestCluster; agents: RunningAgent[]; roots: AgentRoot[] } {
  let cluster: TestCluster | undefined;
  const agents: RunningAgent[] = [];
  const roots: AgentRoot[] = [];
  beforeAll(async () => {
    cluster = await startTestCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.stop('terminate');
    for (const r of roots.splice(0)) await cleanupRoot(r.root);
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the test cluster is not started yet');
      return cluster;
    },
    agents,
    roots,
  };
}
