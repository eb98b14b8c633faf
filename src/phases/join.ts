/**
 * The `join` workflow as data (kubeadm's cmd/phases/join): preflight, then kubelet-start, which
 * discovers the cluster (lazily, once: nothing is written under the root before it succeeds),
 * writes the CA, bootstrap-kubelet.conf and the kubelet configuration from the cluster, starts the
 * agent and waits for its TLS bootstrap and for the Node to be Ready.
 *
 * A control-plane join runs in kubeadm's ControlPlaneKubeletLocalMode order, because its agent
 * prefers its own API server, which can serve only once the node's etcd member runs:
 * control-plane-prepare, kubelet-start (starts the agent, does not wait), etcd-join,
 * kubelet-wait-bootstrap, control-plane-join, wait-control-plane. The etcd member and the API
 * server start while the agent bootstraps, instead of after it.
 */
import type { JoinConfig } from '../config/types.js';
import { discoverWithFile, discoverWithToken, type DiscoveredCluster } from '../discovery/index.js';
import { KubeforgeError } from '../errors.js';
import type { Host } from '../host/index.js';
import { isNotFound, KubeClient, type KubeObject } from '../kube/index.js';
import { buildKubeconfig, type KubeconfigUser } from '../kubeconfig/index.js';
import type { Logger } from '../log.js';
import { nodeKubeletConfiguration, toYaml } from '../manifests/index.js';
import { joinChecks, runPreflight } from '../preflight/index.js';
import { BOOTSTRAP_KUBELET_KUBECONFIG, startAgent } from './agent-start.js';
import { agentApiAccess, type ApiAccess } from './join-lb.js';
import { controlPlaneJoinPhase, controlPlaneOnly, controlPlanePreparePhase, etcdJoinPhase, prepared, waitControlPlanePhase, type ControlPlaneJoin } from './join-controlplane.js';
import { isNodeReady, waitForJoinedNode } from './join-wait.js';
import type { Phase } from './runner.js';

/** kubeadm's TokenUser and DefaultClusterName for bootstrap-kubelet.conf. */
export const TLS_BOOTSTRAP_USER = 'tls-bootstrap-token-user';
export const DEFAULT_CLUSTER_NAME = 'kubernetes';

export interface JoinContext {
  host: Host;
  cfg: JoinConfig;
  log: Logger;
  ignorePreflightErrors: Set<string> | 'all';
  /** `--node-ip`: the address the agent binds and reports. */
  nodeIP: string;
  discoveryTimeoutMs: number;
  tlsBootstrapTimeoutMs: number;
  /** Filled by discovery. */
  tlsBootstrap?: TLSBootstrap;
  /** Filled by control-plane-prepare on `join --control-plane`. */
  controlPlane?: ControlPlaneJoin;
}

export interface TLSBootstrap {
  cluster: DiscoveredCluster;
  /** The text of bootstrap-kubelet.conf. */
  kubeconfig: string;
  /** The bootstrap token (or the discovery file's user) the agent authenticates with. */
  user: KubeconfigUser;
}

/** kubeadm's discovery.For: the validated cluster plus the TLS bootstrap credentials. */
export async function tlsBootstrapConfig(ctx: JoinContext): Promise<TLSBootstrap> {
  if (ctx.tlsBootstrap) return ctx.tlsBootstrap;
  const { discovery } = ctx.cfg.join;
  let cluster: DiscoveredCluster;
  let fileUser: KubeconfigUser | undefined;
  if (discovery.file) {
    ({ cluster, user: fileUser } = await discoverWithFile({ location: discovery.file.kubeConfigPath, host: ctx.host, log: ctx.log, timeoutMs: ctx.discoveryTimeoutMs }));
  } else {
    const b = discovery.bootstrapToken!;
    ({ cluster } = await discoverWithToken({
      endpoint: b.apiServerEndpoint,
      token: b.token,
      caCertHashes: b.caCertHashes,
      unsafeSkipCAVerification: b.unsafeSkipCAVerification,
      timeoutMs: ctx.discoveryTimeoutMs,
      log: ctx.log,
    }));
  }
  const token = discovery.tlsBootstrapToken;
  if (!token && !fileUser) {
    throw new KubeforgeError('KF_DISCOVERY_NO_CREDENTIALS', 'no credentials for the TLS bootstrap: the discovery file has no user and no --tls-bootstrap-token was given', {
      exitCode: 3,
      hint: 'pass --tls-bootstrap-token (or --token), or a discovery file whose user has a token or client certificate',
    });
  }
  const user: KubeconfigUser = token ? { name: TLS_BOOTSTRAP_USER, token } : fileUser!;
  ctx.tlsBootstrap = { cluster, kubeconfig: bootstrapKubeconfig(cluster, user, { server: cluster.server }), user };
  return ctx.tlsBootstrap;
}

/** bootstrap-kubelet.conf: the bootstrap credentials for the API server at `access`. */
function bootstrapKubeconfig(cluster: DiscoveredCluster, user: KubeconfigUser, access: ApiAccess): string {
  return buildKubeconfig({
    clusterName: DEFAULT_CLUSTER_NAME,
    server: access.server,
    ...(access.tlsServerName ? { tlsServerName: access.tlsServerName } : {}),
    caPem: cluster.caPem,
    userName: user.name,
    ...(user.token ? { token: user.token } : {}),
    ...(user.clientCertificateData ? { clientCertPem: user.clientCertificateData, clientKeyPem: user.clientKeyData ?? '' } : {}),
  });
}

export function bootstrapClient(tls: TLSBootstrap): KubeClient {
  return new KubeClient({ server: tls.cluster.server, ca: tls.cluster.caPem, token: tls.user.token, cert: tls.user.clientCertificateData, key: tls.user.clientKeyData, timeoutMs: 10_000 });
}

type NodeObject = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

/** kubeadm refuses to join under the name of a Node that exists and is Ready. */
async function checkNodeNameFree(client: KubeClient, name: string): Promise<void> {
  let node: NodeObject | undefined;
  try {
    node = await client.get<NodeObject>({ version: 'v1', resource: 'nodes', name });
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (isNodeReady(node)) {
    throw new KubeforgeError('KF_JOIN_NODE_NAME_TAKEN', `a Node with name "${name}" and status "Ready" already exists in the cluster`, {
      exitCode: 3,
      hint: `delete the existing Node (\`kubectl delete node ${name}\`) or join under another name with --node-name`,
    });
  }
}

/** kube-system/kubelet-config, read with the bootstrap token (kubeadm's kubeadm:kubelet-config Role). */
async function clusterKubeletConfig(client: KubeClient): Promise<Record<string, unknown>> {
  const configMap = await client.get<KubeObject & { data?: Record<string, string> }>({ version: 'v1', resource: 'configmaps', namespace: 'kube-system', name: 'kubelet-config' }).catch((err: unknown) => {
    throw new KubeforgeError('KF_JOIN_NO_KUBELET_CONFIG', 'cannot read the kube-system/kubelet-config ConfigMap with the bootstrap token', {
      cause: err,
      hint: 'run `kubeforge init phase upload-config kubelet` on the control plane (it creates the ConfigMap and the kubeadm:kubelet-config Role for bootstrap tokens)',
    });
  });
  const { loadYaml } = await import('../safe-yaml.js');
  const doc = loadYaml(configMap.data?.kubelet ?? '');
  if (typeof doc !== 'object' || doc === null) throw new KubeforgeError('KF_JOIN_NO_KUBELET_CONFIG', 'the kube-system/kubelet-config ConfigMap holds no KubeletConfiguration under "kubelet"');
  return doc as Record<string, unknown>;
}

async function kubeletStart(ctx: JoinContext): Promise<void> {
  const { host, log, cfg } = ctx;
  const tls = await tlsBootstrapConfig(ctx);
  const nodeName = cfg.join.nodeRegistration.name;
  const client = bootstrapClient(tls);
  try {
    log.debug(1, `[kubelet-start] Checking for an existing Node in the cluster with name "${nodeName}" and status "Ready"`);
    await checkNodeNameFree(client, nodeName);
    const kubelet = await clusterKubeletConfig(client);
    // Discovery succeeded: from here on, the node's files are written.
    log.info(`[kubelet-start] Writing the cluster CA to "${cfg.join.caCertPath}"`);
    await host.files.writeFile(cfg.join.caCertPath, tls.cluster.caPem, { mode: 0o644 });
    const access = await agentApiAccess(ctx, client, tls.cluster.server);
    log.info(`[kubelet-start] Writing the TLS bootstrap kubeconfig to "${BOOTSTRAP_KUBELET_KUBECONFIG}"`);
    await host.files.writeFile(BOOTSTRAP_KUBELET_KUBECONFIG, bootstrapKubeconfig(tls.cluster, tls.user, access), { mode: 0o600 });
    await startAgent(host, log, { nodeName, nodeIP: ctx.nodeIP, kubeletConfig: toYaml(nodeKubeletConfiguration(kubelet, ctx.nodeIP)), tlsBootstrap: true, criSocket: cfg.join.nodeRegistration.criSocket });
  } finally {
    client.close();
  }
  // A control-plane node waits in kubelet-wait-bootstrap, once its etcd member runs (see joinPhases).
  if (!cfg.join.controlPlane) await waitBootstrap(ctx);
}

/** kubeadm's runKubeletWaitBootstrapPhase: the agent's TLS bootstrap, then (kubeforge) the Node Ready. */
async function waitBootstrap(ctx: JoinContext): Promise<void> {
  const { host, log } = ctx;
  if (host.dryRun) return log.info('[dryrun] Would wait for the agent to perform the TLS bootstrap and for the Node to be Ready');
  const tls = await tlsBootstrapConfig(ctx);
  const client = bootstrapClient(tls);
  try {
    await waitForJoinedNode(ctx, client, tls);
  } finally {
    client.close();
  }
  // kubeadm removes the bootstrap kubeconfig once the kubelet has its own credentials.
  await host.files.remove(BOOTSTRAP_KUBELET_KUBECONFIG);
}

export function joinPhases(): Phase<JoinContext>[] {
  return [
    {
      name: 'preflight',
      short: 'Run join pre-flight checks',
      run: async (ctx) => {
        const { join } = ctx.cfg;
        const checks = joinChecks(
          {
            nodeName: join.nodeRegistration.name,
            criSocket: join.nodeRegistration.criSocket,
            advertiseAddress: ctx.nodeIP,
            caCertPath: join.caCertPath,
            ...(join.discovery.bootstrapToken ? { discoveryEndpoint: join.discovery.bootstrapToken.apiServerEndpoint } : {}),
            ...(join.controlPlane ? { controlPlane: { bindPort: join.controlPlane.localAPIEndpoint.bindPort, localEtcdDataDir: '/var/lib/etcd' } } : {}),
          },
          { rootIsSlash: ctx.host.files.root === '/' && !ctx.host.dryRun },
        );
        // As kubeadm's preflight, a control-plane join reads the cluster's configuration: started
        // with the checks, so the keys control-plane-prepare needs generate while they run. A
        // failed check still wins: it is reported first.
        const cluster = join.controlPlane && !ctx.host.dryRun ? prepared(ctx) : undefined;
        cluster?.catch(() => {});
        await runPreflight(ctx.host, checks, ctx.ignorePreflightErrors, ctx.log);
        await cluster;
      },
    },
    controlPlanePreparePhase(),
    {
      name: 'kubelet-start',
      short: 'Write kubelet settings, certificates and (re)start the kubelet',
      run: kubeletStart,
    },
    etcdJoinPhase(),
    controlPlaneOnly({
      name: 'kubelet-wait-bootstrap',
      short: 'Wait for the kubelet to bootstrap itself (a control-plane join; a worker waits in kubelet-start)',
      run: waitBootstrap,
    }),
    controlPlaneJoinPhase(),
    waitControlPlanePhase(),
  ];
}
