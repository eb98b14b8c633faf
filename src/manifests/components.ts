/**
 * The table of control-plane static pods: one row per component saying which binary it runs,
 * its image, its default flags and extra args/envs, where it is probed, what it requests and how
 * it is annotated (its hostPath volumes are the table in volumes.ts). render.ts turns any row into
 * a pod with the same loop.
 */
import { ETCD_VERSION } from '../config/defaults.js';
import type { Arg, ClusterConfiguration, ControlPlaneComponent, EnvVar } from '../config/types.js';
import { joinHostPort } from './addresses.js';
import { getArgValue } from './args.js';
import {
  CONTROLLER_MANAGER_PORT,
  ETCD_METRICS_PORT,
  SCHEDULER_PORT,
  type FlagContext,
  apiServerFlags,
  controllerManagerFlags,
  etcdClientURL,
  etcdFlags,
  schedulerFlags,
} from './flags.js';
import { type ProbePlan, type StaticPodComponent, probeAddress } from './pod.js';

export interface ComponentRow {
  component: StaticPodComponent;
  /** The upstream binary, first word of the command. */
  binary: string;
  image(cluster: ClusterConfiguration): string;
  defaultFlags(ctx: FlagContext): Arg[];
  extraArgs(cluster: ClusterConfiguration): Arg[];
  extraEnvs(cluster: ClusterConfiguration): EnvVar[];
  /** Whether kubeadm passes its *_proxy environment to the container (not to etcd). */
  proxyEnv: boolean;
  probe(ctx: FlagContext): ProbePlan;
  requests: Record<string, string>;
  annotations(ctx: FlagContext): Record<string, string> | undefined;
}

/** kubeadm's KubernetesVersionToImageTag: `+` is not allowed in image tags. */
function kubernetesImage(name: string): (cluster: ClusterConfiguration) => string {
  return (cluster) => `${cluster.imageRepository}/${name}:${cluster.kubernetesVersion.replaceAll('+', '_')}`;
}

/** kubeadm's GetEtcdImage: the local etcd's repository and tag, else the cluster's repository and the release's etcd. */
function etcdImage(cluster: ClusterConfiguration): string {
  const local = cluster.etcd.local;
  const repository = local?.imageRepository || cluster.imageRepository;
  return `${repository}/etcd:${local?.imageTag || ETCD_VERSION}`;
}

type Section = (cluster: ClusterConfiguration) => ControlPlaneComponent;
const apiServer: Section = (c) => c.apiServer;
const controllerManager: Section = (c) => c.controllerManager;
const scheduler: Section = (c) => c.scheduler;

/** What the kube-* rows share: binary and image named after the component, its ClusterConfiguration section's extras, the proxy env. */
function kubernetesComponent(component: Exclude<StaticPodComponent, 'etcd'>, section: Section) {
  return {
    component,
    binary: component,
    image: kubernetesImage(component),
    extraArgs: (c: ClusterConfiguration) => section(c).extraArgs,
    extraEnvs: (c: ClusterConfiguration) => section(c).extraEnvs,
    proxyEnv: true,
  };
}

/** Controller manager and scheduler: probed where they bind (an extraArgs bind-address wins). */
function bindAddressProbe(port: number, section: Section): (ctx: FlagContext) => ProbePlan {
  return (ctx) => {
    const bind = getArgValue(section(ctx.cluster).extraArgs, 'bind-address');
    const host = bind === undefined ? ctx.addresses.localhost : probeAddress(bind);
    return { host, port, scheme: 'HTTPS', livenessPath: '/healthz', startupPath: '/healthz' };
  };
}

/**
 * kubeadm's GetEtcdProbeEndpoint: the first --listen-metrics-urls from extraArgs, else
 * localhost:2381 over HTTP. The paths are kubeadm 1.30's `/health` ones, not 1.31's
 * `/livez`/`/readyz`: those arrived in etcd 3.5.11, and the etcd that Debian ships (3.4) serves
 * only `/health`, which every etcd 3.4 and 3.5 answers.
 */
const ETCD_LIVE_PATH = '/health?exclude=NOSPACE&serializable=true';
const ETCD_READY_PATH = '/health?serializable=false';

function etcdProbe(ctx: FlagContext): ProbePlan {
  const plan: ProbePlan = { host: ctx.addresses.localhost, port: ETCD_METRICS_PORT, scheme: 'HTTP', livenessPath: ETCD_LIVE_PATH, readinessPath: ETCD_READY_PATH, startupPath: ETCD_LIVE_PATH };
  const metrics = getArgValue(ctx.cluster.etcd.local?.extraArgs ?? [], 'listen-metrics-urls');
  if (metrics === undefined) return plan;
  let url: URL;
  try {
    url = new URL(metrics.split(',')[0] ?? '');
  } catch {
    return plan;
  }
  const port = Number(url.port);
  return {
    ...plan,
    scheme: url.protocol === 'https:' ? 'HTTPS' : 'HTTP',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || plan.host,
    port: url.port !== '' && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : ETCD_METRICS_PORT,
  };
}

export const COMPONENTS: readonly ComponentRow[] = [
  {
    component: 'etcd',
    binary: 'etcd',
    image: etcdImage,
    defaultFlags: etcdFlags,
    extraArgs: (c) => c.etcd.local?.extraArgs ?? [],
    extraEnvs: (c) => c.etcd.local?.extraEnvs ?? [],
    proxyEnv: false,
    probe: etcdProbe,
    requests: { cpu: '100m', memory: '100Mi' },
    // etcd serves clients on the API server's advertise address, port 2379.
    annotations: (ctx) => ({ 'kubeadm.kubernetes.io/etcd.advertise-client-urls': etcdClientURL(ctx.endpoint.advertiseAddress) }),
  },
  {
    ...kubernetesComponent('kube-apiserver', apiServer),
    defaultFlags: apiServerFlags,
    probe: (ctx) => ({
      // kubeadm's GetAPIServerProbeAddress: the advertise address (never the unspecified one).
      host: ctx.endpoint.advertiseAddress === '' ? ctx.addresses.localhost : probeAddress(ctx.endpoint.advertiseAddress),
      port: ctx.endpoint.bindPort,
      scheme: 'HTTPS',
      livenessPath: '/livez',
      readinessPath: '/readyz',
      startupPath: '/livez',
    }),
    requests: { cpu: '250m' },
    annotations: (ctx) => ({ 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': joinHostPort(ctx.endpoint.advertiseAddress, ctx.endpoint.bindPort) }),
  },
  {
    ...kubernetesComponent('kube-controller-manager', controllerManager),
    defaultFlags: controllerManagerFlags,
    probe: bindAddressProbe(CONTROLLER_MANAGER_PORT, controllerManager),
    requests: { cpu: '200m' },
    annotations: () => undefined,
  },
  {
    ...kubernetesComponent('kube-scheduler', scheduler),
    defaultFlags: schedulerFlags,
    probe: bindAddressProbe(SCHEDULER_PORT, scheduler),
    requests: { cpu: '100m' },
    annotations: () => undefined,
  },
];
