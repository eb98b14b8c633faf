/**
 * What kube-controller-manager and kube-scheduler share as processes: flag parsing (with the
 * flags both take), the kubeconfig and API client, the HTTPS health/metrics server, and
 * leader election through a Lease in kube-system. Only the leader runs the component's loops;
 * losing the Lease ends the component with KF_LEADER_ELECTION_LOST, as upstream exits, and so
 * does a failure of its loops (e.g. KF_CONTROLLER_FAILED), so the node agent restarts it.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import { KubeforgeError } from '../../errors.js';
import { createHost, resolveRoot, type FileHost } from '../../host/index.js';
import { KubeClient, type KubeClientConfig, type KubeObject } from '../../kube/index.js';
import { createLogger, type Logger } from '../../log.js';
import { MetricsRegistry, SharedInformers, type ApiClient, type ControllerContext } from './controller.js';
import { acceptedFlag, flag, parseFlags, type FlagSpec, type ParsedFlags } from './flags.js';
import { delegatedAuthorizer, DEFAULT_ALWAYS_ALLOW_PATHS } from './delegated-auth.js';
import { startHealthServer, type HealthServer } from './health.js';
import { kubeClientConfig } from '../../kubeconfig/index.js';
import { selfSignedServingCertificate } from '../../pki/index.js';
import { apiLeaseStore, DEFAULT_LEADER_ELECTION, runLeaderElection } from './leaderelection.js';

/** Flags every component takes (kubeadm's manifests and common hand-written ones). */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  flag('kubeconfig'),
  flag('bind-address', 'string', '0.0.0.0'),
  flag('leader-elect', 'bool', 'true'),
  flag('leader-elect-lease-duration', 'duration', '15s'),
  flag('leader-elect-renew-deadline', 'duration', '10s'),
  flag('leader-elect-retry-period', 'duration', '2s'),
  flag('leader-elect-resource-namespace', 'string', 'kube-system'),
  flag('tls-cert-file'),
  flag('tls-private-key-file'),
  flag('v', 'int', '0', 'v'),
  acceptedFlag('authentication-kubeconfig'),
  acceptedFlag('authorization-kubeconfig'),
  flag('client-ca-file'),
  acceptedFlag('requestheader-client-ca-file'),
  acceptedFlag('requestheader-allowed-names', 'list'),
  acceptedFlag('requestheader-extra-headers-prefix', 'list'),
  acceptedFlag('requestheader-group-headers', 'list'),
  acceptedFlag('requestheader-username-headers', 'list'),
  flag('authorization-always-allow-paths', 'list', DEFAULT_ALWAYS_ALLOW_PATHS.join(',')),
  acceptedFlag('leader-elect-resource-lock'),
  acceptedFlag('leader-elect-resource-name'),
  acceptedFlag('feature-gates', 'list'),
  flag('profiling', 'bool', 'true'),
  acceptedFlag('contention-profiling', 'bool'),
  acceptedFlag('kube-api-qps', 'int'),
  acceptedFlag('kube-api-burst', 'int'),
  acceptedFlag('kube-api-content-type'),
  acceptedFlag('permit-port-sharing', 'bool'),
  flag('tls-min-version', 'tls-version'),
  acceptedFlag('tls-cipher-suites', 'list'),
  acceptedFlag('cert-dir'),
  acceptedFlag('logging-format'),
  acceptedFlag('logtostderr', 'bool'),
  acceptedFlag('log-file'),
  acceptedFlag('master'),
];

export interface Running {
  /** Where /healthz, /livez, /readyz and /metrics answer (undefined with --secure-port=0). */
  readonly address: { host: string; port: number } | undefined;
  /** Resolves once stopped; rejects with KF_LEADER_ELECTION_LOST when leadership was lost. */
  readonly done: Promise<void>;
  isLeader(): boolean;
  stop(): Promise<void>;
}

export interface ComponentDeps {
  /** Files under the node's root (defaults to KUBEFORGE_ROOT or /). */
  files?: FileHost;
  log?: Logger;
  /** Builds the API client; tests pass a fake. */
  client?: ClientFactory;
  /** This candidate's identity in the Lease (defaults to `<hostname>_<uuid>`, as upstream). */
  identity?: string;
}

export type ClientFactory = (config: KubeClientConfig) => ApiClient & { close?(): void };

/** What a component prepares from: its flags, files, logger, and how to make API clients. */
export interface ComponentEnv {
  flags: ParsedFlags;
  files: FileHost;
  log: Logger;
  /** The --kubeconfig identity's client configuration. */
  clientConfig: KubeClientConfig;
  makeClient: ClientFactory;
}

export interface ComponentSpec {
  name: 'kube-controller-manager' | 'kube-scheduler';
  flags: readonly FlagSpec[];
  /** Prepares what the leader needs (e.g. reads the signing CA) before campaigning. */
  prepare(env: ComponentEnv): Promise<(ctx: ControllerContext) => Promise<void>>;
}

async function readClientConfig(flags: ParsedFlags, files: FileHost, component: string): Promise<KubeClientConfig> {
  const file = flags.string('kubeconfig');
  if (!file) {
    throw new KubeforgeError('KF_COMPONENT_NO_KUBECONFIG', `${component}: --kubeconfig is required (in-cluster configuration is not supported)`, { hint: `pass --kubeconfig=/etc/kubernetes/${component === 'kube-scheduler' ? 'scheduler' : 'controller-manager'}.conf` });
  }
  return { ...(await kubeClientConfig(files, file)), userAgent: component };
}

async function servingCertificate(flags: ParsedFlags, files: FileHost, host: string): Promise<{ cert: string | Buffer; key: string | Buffer }> {
  const certFile = flags.string('tls-cert-file');
  const keyFile = flags.string('tls-private-key-file');
  if (certFile && keyFile) return { cert: await files.readFile(certFile), key: await files.readFile(keyFile) };
  // As upstream's MaybeDefaultWithSelfSignedCerts: for the bind address (localhost when it is
  // the wildcard), plus localhost and 127.0.0.1.
  const { certPem, keyPem } = await selfSignedServingCertificate(host === '0.0.0.0' || host === '::' ? 'localhost' : host, { dnsNames: ['localhost'], ips: ['127.0.0.1'] }, new Date());
  return { cert: certPem, key: keyPem };
}

/** Reads the client CA from kube-system/extension-apiserver-authentication until it is there. */
async function learnClientCa(client: ApiClient, server: HealthServer, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>({ version: 'v1', resource: 'configmaps', namespace: 'kube-system', name: 'extension-apiserver-authentication' }).catch(() => undefined);
    const ca = cm?.data?.['client-ca-file'];
    if (ca) return server.setClientCa(ca);
    await new Promise((r) => setTimeout(r, 1_000).unref());
  }
}

/** Starts a component: serves health at once, then campaigns and runs the loops when leading. */
export async function runComponent(spec: ComponentSpec, argv: readonly string[], deps: ComponentDeps = {}): Promise<Running> {
  const flags = parseFlags(spec.flags, argv, spec.name);
  const log = deps.log ?? createLogger({ verbosity: flags.int('v') });
  const files = deps.files ?? createHost(resolveRoot(undefined)).files;
  if (flags.ignored.length) log.debug(2, `[${spec.name}] accepted without effect: ${flags.ignored.map((f) => `--${f}`).join(' ')}`);
  const clientConfig = await readClientConfig(flags, files, spec.name);
  const makeClient: ClientFactory = deps.client ?? ((config) => new KubeClient(config));
  const leaderWork = await spec.prepare({ flags, files, log, clientConfig, makeClient });
  const client = makeClient(clientConfig);
  const metrics = new MetricsRegistry();
  let leading = false;
  const stopAll = new AbortController();
  // Every controller, informer and queue listens for the stop.
  setMaxListeners(200, stopAll.signal);

  // client-go's leader-election health check: a leader that has not renewed its Lease for
  // the lease duration plus 20 s is unhealthy (the agent's liveness probe then restarts it).
  const leaseDurationMs = flags.duration('leader-elect-lease-duration') || DEFAULT_LEADER_ELECTION.leaseDurationMs;
  let lastRenew = 0;
  const checks = {
    leaderElection: () => (flags.bool('leader-elect') && leading && Date.now() - lastRenew > leaseDurationMs + 20_000 ? `failed election to renew leadership on lease ${spec.name}` : undefined),
  };
  const host = flags.string('bind-address') ?? '0.0.0.0';
  const port = flags.int('secure-port');
  let server: HealthServer | undefined;
  if (port !== 0) {
    const clientCaFile = flags.string('client-ca-file');
    server = await startHealthServer({
      host, port, ...(await servingCertificate(flags, files, host)), minVersion: flags.tlsVersion('tls-min-version'), checks, metrics, leaderName: spec.name, isLeader: () => leading, profiling: flags.bool('profiling'),
      ...(clientCaFile ? { clientCa: await files.readFile(clientCaFile) } : {}),
      authorize: delegatedAuthorizer(client, flags.list('authorization-always-allow-paths')),
    });
    // Without --client-ca-file (kubeadm's scheduler), the CA is the one the API server publishes.
    if (!clientCaFile) void learnClientCa(client, server, stopAll.signal);
  }

  const lead = async (signal: AbortSignal) => {
    setMaxListeners(200, signal);
    leading = true;
    log.info(`[${spec.name}] leading; starting its loops`);
    const informers = new SharedInformers(client, log);
    const ctx: ControllerContext = { client, informers, signal, log, now: () => new Date(), metrics };
    const work = leaderWork(ctx);
    informers.start(signal);
    await work;
  };

  const done = (async () => {
    if (!flags.bool('leader-elect')) {
      await lead(stopAll.signal);
      return;
    }
    let lost = false;
    let failed: unknown;
    const store = apiLeaseStore(client);
    const renewing = <T>(write: Promise<T>) => write.then((lease) => ((lastRenew = Date.now()), lease));
    await runLeaderElection(
      { get: store.get, create: (lease, signal) => renewing(store.create(lease, signal)), update: (lease, signal) => renewing(store.update(lease, signal)) },
      {
        namespace: flags.string('leader-elect-resource-namespace') ?? 'kube-system',
        name: spec.name,
        identity: deps.identity ?? `${os.hostname()}_${randomUUID()}`,
        leaseDurationMs: flags.duration('leader-elect-lease-duration') || DEFAULT_LEADER_ELECTION.leaseDurationMs,
        renewDeadlineMs: flags.duration('leader-elect-renew-deadline') || DEFAULT_LEADER_ELECTION.renewDeadlineMs,
        retryPeriodMs: flags.duration('leader-elect-retry-period') || DEFAULT_LEADER_ELECTION.retryPeriodMs,
      },
      {
        onStartedLeading: (signal) =>
          lead(signal).catch((err) => {
            if (signal.aborted) return;
            // The loops failed while leading: stop campaigning and end the component with it.
            failed = err;
            stopAll.abort();
          }),
        onStoppedLeading: () => {
          lost = true;
          leading = false;
        },
      },
      stopAll.signal,
    );
    if (failed !== undefined) throw failed;
    if (lost) throw new KubeforgeError('KF_LEADER_ELECTION_LOST', `${spec.name}: leaderelection lost`, { hint: 'the API server was unreachable for longer than --leader-elect-renew-deadline; the agent restarts this component' });
  })().finally(async () => {
    leading = false;
    stopAll.abort();
    await server?.close();
    client.close?.();
  });
  done.catch(() => {});

  return {
    address: server && { host: server.host, port: server.port },
    done,
    isLeader: () => leading,
    async stop() {
      stopAll.abort();
      await done.catch(() => {});
    },
  };
}
