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
import { tempRoot } from './agent-harness.js';
import type { TestCluster } from './apiserver-harness.js';

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

export function startNodeAgent(agentRoot: AgentRoot, api: Partial<AgentApiOptions> = {}): Promise<RunningAgent> {
  return runAgent({
    root: agentRoot.root,
    nodeName: agentRoot.nodeName,
    nodeAddress: '127.0.0.1',
    log: createMemoryLogger(),
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
