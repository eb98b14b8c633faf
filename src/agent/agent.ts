/**
 * runAgent: the node agent as a set of components (lock, status file, kubelet API, static pods,
 * manifest source, then with `api`: the API connection, node registration, the Lease and mirror
 * pods), started in order and stopped in reverse. Stopping with `terminate` (SIGTERM) stops every pod in
 * reverse start order and waits; `detach` leaves the pods running for the next agent to adopt.
 */
import { createHost, type Host } from '../host/index.js';
import type { Logger } from '../log.js';
import { KubeforgeError } from '../errors.js';
import { AgentLock } from './agent-lock.js';
import { KUBELET_BACKOFF } from './backoff.js';
import { ComponentManager, type Component, type StopMode } from './component-manager.js';
import { defaultKubeforgeCommand } from './images.js';
import { ApiConnection } from './api-connection.js';
import { ApiServerLoadBalancer } from './apiserver-lb.js';
import { CertificateMonitor, type CertificateRenewer } from './cert-monitor.js';
import { ClientCertificates } from './client-cert.js';
import { KUBELET_PORT, KubeletServer } from './kubelet-server.js';
import { ManifestSource } from './manifest-source.js';
import { MirrorPods } from './mirror-pods.js';
import { gatherNodeFacts } from './node-facts.js';
import type { KubeletReservations } from './node-object.js';
import { NodeLease } from './node-lease.js';
import { NodeRegistration } from './node-registration.js';
import { ProcessRunner } from './process-runner.js';
import { ApiPods } from './api-pods.js';
import { CriClient } from './cri/client.js';
import { CriRunner } from './cri/cri-runner.js';
import { BundledImageSource } from './cri/bundle-source.js';
import { podDnsConfig, type KubeletDns } from './cri/pod-dns.js';
import { ApiSocket } from './api-socket.js';
import { NodeContainerd } from './cri/node-containerd.js';
import { PodNetwork } from './cri/pod-network.js';
import { ApiPodResources } from './cri/pod-resources.js';
import { apiPodObjects } from './pod-objects.js';
import { chooseRunner, runnerKind } from './runner-choice.js';
import type { PodRunner } from './runner.js';
import { StaticPods, type StaticPodView } from './static-pods.js';
import { StatusFile, type AgentStatus } from './status-file.js';
import type { Unsubscribe } from './listeners.js';

export interface AgentOptions {
  /** The host; defaults to a real host on `root`. */
  host?: Host;
  root?: string;
  nodeName: string;
  /** The node's address: where probes without a host connect, and the pods' IP (hostNetwork). */
  nodeAddress: string;
  log: Logger;
  /** CrashLoopBackOff: first delay (10 s), cap (5 min), and the run time that resets it (10 min). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  backoffResetMs?: number;
  /** The manifest directory (logical path); kubelet's staticPodPath, /etc/kubernetes/manifests by default. */
  staticPodPath?: string;
  /** Periodic re-scan of the manifest directory besides fs.watch (5 s). */
  rescanMs?: number;
  /** How often each pod worker re-checks its containers (1 s). */
  syncIntervalMs?: number;
  /** Grace period for pods without terminationGracePeriodSeconds (30 s). */
  defaultGracePeriodMs?: number;
  /** The runtime; defaults to the process runner. */
  runner?: PodRunner;
  /** How to run `kubeforge` for the bundled components; defaults to this package's launcher. */
  kubeforgeCommand?: string[];
  /** Stop everything on SIGTERM/SIGINT (the `kubeforge agent` command sets this). */
  handleSignals?: boolean;
  /** The API side (node, Lease, mirror pods, the kubelet API); without it the agent only runs static pods. */
  api?: AgentApiOptions;
  /** The container runtime for pods from the API (with `api`); without it only static pods run. */
  cri?: AgentCriOptions;
}

export interface AgentCriOptions {
  /** unix:// endpoint of the CRI runtime (kubeadm-flags.env's --container-runtime-endpoint). */
  endpoint: string;
  /** The endpoint is this node's private containerd: the agent starts and supervises it. */
  privateRuntime: boolean;
  /** The kubelet config's clusterDNS, clusterDomain and resolvConf (a host path; "" for none): each pod's resolv.conf. */
  dns?: KubeletDns & { resolvConf: string };
}

export interface AgentApiOptions {
  /** Logical path of the kubeconfig (/etc/kubernetes/kubelet.conf). */
  kubeconfigPath: string;
  /** Logical path of the CA for the kubelet API's client certificates (/etc/kubernetes/pki/ca.crt). */
  clientCAFile: string;
  /** 10250; 0 picks a free port. */
  kubeletPort?: number;
  /** `kubeforge://<version>`, reported as nodeInfo.containerRuntimeVersion. */
  containerRuntimeVersion: string;
  /** nodeStatusUpdateFrequency (10 s) and nodeStatusReportFrequency (5 min). */
  statusUpdateMs?: number;
  statusReportMs?: number;
  /** nodeLeaseDurationSeconds (40); the Lease is renewed every quarter of it unless leaseRenewMs says otherwise. */
  leaseDurationSeconds?: number;
  leaseRenewMs?: number;
  /** Mirror pod resync (10 s). */
  mirrorResyncMs?: number;
  /** API connection back-off cap (500 ms: a refused connection is cheap, and init waits on it). */
  connectRetryMaxMs?: number;
  /** Logical path of bootstrap-kubelet.conf (TLS bootstrap when kubelet.conf is missing). */
  bootstrapKubeconfigPath?: string;
  /** How often the client certificate is checked and a pending CSR polled (1 s). */
  certificateCheckMs?: number;
  /** Rotation point as a fraction of the certificate's lifetime (random in [0.7, 0.9) by default). */
  rotationFraction?: () => number;
  /** Logical certificates dir whose expiry /metrics reports (/etc/kubernetes/pki). */
  certificatesDir?: string;
  /** How often certificate expiry is read, warned about and (with autoRenew) acted on (60 s). */
  certificateMonitorMs?: number;
  /** `--auto-renew`: renews control-plane certificates at 2/3 of their lifetime; absent means off. */
  autoRenew?: CertificateRenewer;
  /** kubeReserved, systemReserved and evictionHard from the KubeletConfiguration (the Node's allocatable). */
  reservations?: KubeletReservations;
}

export interface RunningAgent {
  readonly nodeName: string;
  /** Every static pod and its current v1 status. */
  pods(): StaticPodView[];
  /** What the status file says, computed now. */
  status(): AgentStatus;
  /** Called whenever a pod or its status changes (mirror pods will hang here). */
  onChange(listener: () => void): Unsubscribe;
  /** The port of the kubelet API, when the agent serves one. */
  kubeletPort(): number | undefined;
  /** The API connection, when the agent has an API side. */
  readonly apiConnection: ApiConnection | undefined;
  /** Re-reads the manifest directory now instead of waiting for the watch or the re-scan. */
  rescan(): Promise<void>;
  /** `terminate` (default) stops the pods; `detach` leaves them running. Idempotent. */
  stop(mode?: StopMode): Promise<void>;
  /** Resolves when the agent has stopped (by stop() or a signal). */
  readonly stopped: Promise<void>;
}

export async function runAgent(options: AgentOptions): Promise<RunningAgent> {
  if (!options.host && !options.root) {
    throw new KubeforgeError('KF_AGENT_NO_ROOT', 'the agent needs a host or a root', { hint: 'pass --root DIR (or set KUBEFORGE_ROOT)' });
  }
  const host = options.host ?? createHost(options.root!);
  const { log, nodeName } = options;
  const defaultGracePeriodMs = options.defaultGracePeriodMs ?? 30_000;
  const runner =
    options.runner ?? new ProcessRunner({ host, log, kubeforgeCommand: options.kubeforgeCommand ?? defaultKubeforgeCommand(), defaultGracePeriodMs });
  const staticPods = new StaticPods({
    runner,
    log,
    clock: host.clock,
    nodeAddress: options.nodeAddress,
    backoff: {
      baseMs: options.backoffBaseMs ?? KUBELET_BACKOFF.baseMs,
      maxMs: options.backoffMaxMs ?? KUBELET_BACKOFF.maxMs,
      resetAfterMs: options.backoffResetMs ?? KUBELET_BACKOFF.resetAfterMs,
    },
    syncIntervalMs: options.syncIntervalMs ?? 1000,
    defaultGracePeriodMs,
  });
  const source = new ManifestSource({ files: host.files, nodeName, log, rescanMs: options.rescanMs ?? 5000, dir: options.staticPodPath });
  source.onUpdate((snapshot) => staticPods.apply(snapshot));
  const statusFile = new StatusFile({ files: host.files, nodeName, staticPods, now: () => host.clock.now() });
  const sourceComponent: Component = {
    name: 'manifest-source',
    init: async () => {},
    start: () => source.start(),
    ready: async () => {},
    stop: () => source.stop(),
  };
  // The node-local API load balancer (when join set one up) runs before anything dials the API.
  const loadBalancer = new ApiServerLoadBalancer({ host, log });
  const components: Component[] = [new AgentLock(host), loadBalancer, statusFile, staticPods, sourceComponent];
  const api = options.api ? apiComponents(host, options, options.api, runner, staticPods, () => source.rescan()) : undefined;
  if (api) {
    components.splice(3, 0, api.server);
    components.push(...api.rest);
    api.connection.onConnected((client) => loadBalancer.useClient(client));
  }
  const manager = new ComponentManager(components);

  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    log.info(`agent: ${signal} received, stopping every pod`);
    void stop('terminate');
  };
  const stop = (mode: StopMode = 'terminate'): Promise<void> => {
    stopping ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      try {
        await manager.stop(mode);
      } finally {
        resolveStopped();
      }
    })();
    return stopping;
  };
  if (options.handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  try {
    await manager.start();
  } catch (err) {
    await stop('terminate');
    throw err;
  }
  log.info(`agent: running ${staticPods.pods().length} static pod(s) on node ${nodeName} (${options.nodeAddress})`);
  return {
    nodeName,
    pods: () => [...staticPods.pods(), ...(api?.apiPods?.pods() ?? [])],
    status: () => statusFile.snapshot(),
    onChange: (listener) => staticPods.onChange(listener),
    kubeletPort: () => api?.server.port(),
    apiConnection: api?.connection,
    rescan: () => source.rescan(),
    stop,
    stopped,
  };
}

/** The kubelet API server and the components that talk to the API server. */
function apiComponents(host: Host, options: AgentOptions, api: AgentApiOptions, runner: PodRunner, staticPods: StaticPods, rescan: () => Promise<void>) {
  const { log, nodeName, nodeAddress } = options;
  const connection = new ApiConnection({ host, kubeconfigPath: api.kubeconfigPath, log, retryMaxMs: api.connectRetryMaxMs });
  const monitor = new CertificateMonitor({
    host, nodeName, log, connection,
    kubeconfigPath: api.kubeconfigPath,
    certificatesDir: api.certificatesDir,
    intervalMs: api.certificateMonitorMs,
    renew: api.autoRenew,
    onRenewed: () => void rescan().catch(() => {}),
  });
  const cri = options.cri ? criComponents(host, options, options.cri, connection, runner, staticPods) : undefined;
  const runners = { process: runner, cri: cri?.runner ?? runner };
  const server = new KubeletServer({
    host, nodeName, nodeIP: nodeAddress, log,
    port: api.kubeletPort ?? KUBELET_PORT,
    clientCAFile: api.clientCAFile,
    pods: () => [...staticPods.pods(), ...(cri?.apiPods.pods() ?? [])],
    logPath: (pod, container) => chooseRunner(pod, runners).logPath(pod, container),
    logFormat: (pod) => (runnerKind(pod) === 'cri' ? 'cri' : 'raw'),
    streams: (pod) => (runnerKind(pod) === 'cri' ? cri?.runner : undefined),
    metrics: () => monitor.metricsText(),
  });
  const registration = new NodeRegistration({
    connection, log, clock: host.clock,
    facts: async () => gatherNodeFacts(host, { nodeName, nodeIP: nodeAddress, kubeletPort: server.port(), containerRuntimeVersion: (await cri?.runtimeVersion()) ?? api.containerRuntimeVersion, criSocket: options.cri?.endpoint, reservations: api.reservations }),
    readiness: () => ({ ok: true }),
    ...(cri ? { images: () => cri.runner.images() } : {}),
    statusUpdateMs: api.statusUpdateMs,
    statusReportMs: api.statusReportMs,
  });
  const lease = new NodeLease({ nodeName, connection, registration, clock: host.clock, log, durationSeconds: api.leaseDurationSeconds, renewMs: api.leaseRenewMs });
  const mirrors = new MirrorPods({
    nodeName, connection, registration, clock: host.clock, log,
    pods: () => staticPods.pods(),
    onChange: (listener) => staticPods.onChange(listener),
    resyncMs: api.mirrorResyncMs,
  });
  const certificates = new ClientCertificates({
    host, nodeName, connection, log,
    kubeconfigPath: api.kubeconfigPath,
    bootstrapKubeconfigPath: api.bootstrapKubeconfigPath,
    checkMs: api.certificateCheckMs,
    rotationFraction: api.rotationFraction,
  });
  const rest: Component[] = [certificates, connection, ...(cri?.before ?? []), registration, lease, mirrors, monitor, ...(cri?.after ?? [])];
  return { server, connection, apiPods: cri?.apiPods, rest };
}

/**
 * Pods from the API through CRI: the node containerd and its pod network when the runtime is the
 * node's own, the CRI runner, and the API pods component that runs every pod bound to the node.
 */
function criComponents(host: Host, options: AgentOptions, cri: AgentCriOptions, connection: ApiConnection, processRunner: PodRunner, staticPods: StaticPods) {
  const { log, nodeName, nodeAddress } = options;
  const containerd = cri.privateRuntime ? new NodeContainerd({ host, log, nodeIP: nodeAddress }) : undefined;
  const network = cri.privateRuntime ? new PodNetwork({ host, log, nodeName, connection }) : undefined;
  let apiPods: ApiPods | undefined = undefined;
  const objects = () => {
    const client = connection.client();
    return client ? apiPodObjects(client) : undefined;
  };
  const runner = new CriRunner({
    host, log,
    endpoint: cri.endpoint,
    bundled: new BundledImageSource(host, cri.endpoint),
    clusterDomain: cri.dns?.clusterDomain,
    dns: async (pod) => {
      const resolvConf = cri.dns?.resolvConf ? await host.system.readSystemFile(cri.dns.resolvConf) : undefined;
      return podDnsConfig(pod, resolvConf ?? '', cri.dns ?? { clusterDNS: [], clusterDomain: '' });
    },
    resources: new ApiPodResources(host, objects, nodeAddress),
    events: (pod, type, reason, message) => apiPods?.recordFor(pod, type, reason, message),
  });
  apiPods = new ApiPods({
    ...staticPods.workerOptions(),
    nodeName, connection,
    runnerFor: (pod) => chooseRunner(pod, { process: processRunner, cri: runner }),
    runtimes: [runner],
  });
  /** containerd://<version> for the Node's status, once the runtime answers (a private one gets 30 s to come up). */
  const runtimeVersion = async (): Promise<string | undefined> => {
    // unref: a stopping agent must not stay alive for this wait (it held reset ~20 s).
    if (containerd) await Promise.race([containerd.up, new Promise((r) => setTimeout(r, 30_000).unref())]);
    const client = await CriClient.connect(cri.endpoint);
    try {
      const v = await client.version(3000);
      return `${v.runtimeName}://${v.runtimeVersion}`;
    } catch {
      return undefined;
    } finally {
      client.close();
    }
  };
  // Bundled add-on containers (cluster DNS) reach the API through this socket (api-socket.ts).
  const apiSocket = new ApiSocket({ host, log, server: () => connection.client()?.config.server });
  return { runner, apiPods, runtimeVersion, before: containerd ? [containerd] : [], after: [...(network ? [network] : []), apiSocket, apiPods] as Component[] };
}
