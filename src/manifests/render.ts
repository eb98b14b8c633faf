/**
 * Rendering of the control-plane static pods: one loop over the component table, filling the
 * static-pod template. Pure: the same config and options always give the same bytes.
 */
import path from 'node:path';
import type { InitConfig } from '../config/types.js';
import { KubeforgeError, validationError } from '../errors.js';
import { nodeAddresses } from './addresses.js';
import { argumentsToCommand } from './args.js';
import { COMPONENTS, type ComponentRow } from './components.js';
import type { EtcdMember, FlagContext } from './flags.js';
import { type Pod, type StaticPodComponent, componentProbes, mergeEnv, proxyEnvVars, volumeMountsOf, volumesOf } from './pod.js';
import { templateObject, toYaml } from './templates.js';
import { componentMounts } from './volumes.js';

export const MANIFESTS_DIR = '/etc/kubernetes/manifests';

export interface StaticPodManifest {
  component: StaticPodComponent;
  /** Logical path, /etc/kubernetes/manifests/<component>.yaml. */
  path: string;
  pod: Pod;
  yaml: string;
}

/** Facts about the host that kubeadm looks up itself; rendering takes them as inputs to stay pure. */
export interface StaticPodOptions {
  /** Environment whose non-empty `*_proxy` variables go into the control-plane containers (kubeadm uses its own). Default: none. */
  proxyEnv?: Readonly<Record<string, string | undefined>>;
  /** Which of CA_CERTS_EXTRA_VOLUME_PATHS exist on the host; each is mounted read-only. Default: none. */
  caCertDirs?: readonly string[];
  /** True when the cluster CA key is absent (external CA). Default false. */
  externalCA?: boolean;
  /** The etcd members, this node included, when joining an existing etcd cluster. Default: a new cluster. */
  etcdInitialCluster?: readonly EtcdMember[];
}

export const STATIC_POD_COMPONENTS: readonly StaticPodComponent[] = COMPONENTS.map((row) => row.component);

/**
 * All static pods kubeadm writes for this node: etcd (unless etcd is external), then the API
 * server, controller manager and scheduler.
 */
export function renderStaticPods(cfg: InitConfig, options: StaticPodOptions = {}): StaticPodManifest[] {
  return COMPONENTS.filter((row) => row.component !== 'etcd' || !cfg.cluster.etcd.external).map((row) => renderRow(cfg, row, options));
}

/** One static pod, for `init phase control-plane <name>` and `init phase etcd local`. */
export function renderStaticPod(cfg: InitConfig, component: StaticPodComponent, options: StaticPodOptions = {}): StaticPodManifest {
  const row = COMPONENTS.find((r) => r.component === component);
  if (!row) {
    throw validationError('KF_MANIFEST_COMPONENT', `unknown static pod component "${String(component)}"`, {
      hint: `use one of ${STATIC_POD_COMPONENTS.join(', ')}`,
    });
  }
  if (component === 'etcd' && cfg.cluster.etcd.external) {
    throw new KubeforgeError('KF_MANIFEST_EXTERNAL_ETCD', 'an etcd static pod cannot be generated for a cluster using external etcd', {
      hint: 'remove etcd.external from the ClusterConfiguration, or skip the etcd phase',
    });
  }
  return renderRow(cfg, row, options);
}

/** The logical manifest path of a component. */
export function staticPodPath(component: StaticPodComponent): string {
  return path.posix.join(MANIFESTS_DIR, `${component}.yaml`);
}

function renderRow(cfg: InitConfig, row: ComponentRow, options: StaticPodOptions): StaticPodManifest {
  const cluster = cfg.cluster;
  const endpoint = cfg.init.localAPIEndpoint;
  const ctx: FlagContext = {
    cluster,
    endpoint,
    nodeName: cfg.init.nodeRegistration.name,
    addresses: nodeAddresses(endpoint.advertiseAddress),
    externalCA: options.externalCA ?? false,
    etcdInitialCluster: options.etcdInitialCluster ?? [],
  };
  const mounts = componentMounts(cluster, row.component, options.caCertDirs ?? []);
  const env = mergeEnv(row.proxyEnv ? proxyEnvVars(options.proxyEnv ?? {}) : [], row.extraEnvs(cluster));
  const healthCheckSeconds = goDurationSeconds(cfg.init.timeouts.controlPlaneComponentHealthCheck);

  const pod = templateObject<Pod>('static-pod.yaml');
  pod.metadata.name = row.component;
  pod.metadata.labels = { component: row.component, ...pod.metadata.labels };
  const annotations = row.annotations(ctx);
  if (annotations) pod.metadata.annotations = annotations;
  pod.spec.containers = [
    {
      command: [row.binary, ...argumentsToCommand(row.defaultFlags(ctx), row.extraArgs(cluster))],
      ...(env.length > 0 ? { env } : {}),
      image: row.image(cluster),
      // kubeadm hard-codes IfNotPresent in its static pods (nodeRegistration.imagePullPolicy is for its own pulls).
      imagePullPolicy: 'IfNotPresent',
      ...componentProbes(row.probe(ctx), healthCheckSeconds),
      name: row.component,
      resources: { requests: { ...row.requests } },
      volumeMounts: volumeMountsOf(mounts),
    },
  ];
  pod.spec.volumes = volumesOf(mounts);
  return { component: row.component, path: staticPodPath(row.component), pod, yaml: toYaml(pod) };
}

const DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, ns: 1e-9 };

/** Seconds in a Go duration string such as `4m0s` or `1h30m`. */
export function goDurationSeconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== duration) {
    throw validationError('KF_MANIFEST_DURATION', `invalid duration "${duration}"`, { hint: 'use a Go duration such as 4m0s' });
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] ?? 's'] ?? 1), 0);
}
