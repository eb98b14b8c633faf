/**
 * The bundled kube-controller-manager: `runControllerManager(argv)` takes upstream's flags
 * (kubeadm's manifest), serves /healthz /livez /readyz /metrics on --bind-address:--secure-port
 * (10257), campaigns for kube-system/kube-controller-manager and, while leading, runs the
 * controllers --controllers selects. One file per controller, each with its decisions as pure
 * functions:
 * - bootstrapsigner.ts, tokencleaner.ts (bootstraptoken.ts: token Secrets, detached JWS)
 * - csrapproving.ts, csrsigning.ts (csr.ts: CSR objects; src/pki parses and signs the requests)
 * - nodelifecycle.ts, nodeipam.ts, serviceaccount.ts (+ root-ca-cert-publisher), namespace.ts
 * - deployment.ts (+ deployment-revision.ts), replicaset.ts, daemonset.ts (+ daemonset-placement.ts), statefulset.ts,
 *   garbagecollector.ts (workloads.ts: shared shapes, template hash; history.ts: ControllerRevisions;
 *   expectations.ts: waiting for the informer to see a sync's own writes)
 * - job.ts, cronjob.ts (common/cron.ts: schedules), ttlafterfinished.ts
 * - tainteviction.ts (NoExecute taints), podgc.ts, disruption.ts (PodDisruptionBudget status)
 * - endpointslice.ts, endpoints.ts (service-endpoints.ts: pods → endpoints; service-loop.ts)
 * - manager.ts: the controller table and --controllers selection
 */
import { errorMessage, isKubeforgeError, KubeforgeError, validationError } from '../../errors.js';
import type { FileHost } from '../../host/index.js';
import { loadCertificateAuthority, type CertificateAuthority } from '../../pki/index.js';
import { untilAborted, type ControllerContext } from '../common/controller.js';
import { COMMON_FLAGS, runComponent, type ComponentDeps, type Running } from '../common/run-component.js';
import { acceptedFlag, flag, type FlagSpec, type ParsedFlags } from '../common/flags.js';
import { serviceAccountCredentials } from './credentials.js';
import { nextPodCIDR, type NodeIpamOptions } from './nodeipam.js';
import { CONTROLLERS, isControllerEnabled, unknownControllers, type ControllerRow, type ManagerOptions } from './manager.js';

export type { Running } from '../common/run-component.js';
export { CONTROLLERS, isControllerEnabled } from './manager.js';

export const CONTROLLER_MANAGER_FLAGS: readonly FlagSpec[] = [
  ...COMMON_FLAGS,
  flag('secure-port', 'int', '10257'),
  flag('controllers', 'list', '*'),
  flag('cluster-signing-cert-file'),
  flag('cluster-signing-key-file'),
  flag('cluster-signing-duration', 'duration', '8760h'),
  flag('root-ca-file'),
  flag('node-monitor-grace-period', 'duration', '40s'),
  flag('node-monitor-period', 'duration', '5s'),
  flag('use-service-account-credentials', 'bool', 'false'),
  acceptedFlag('service-account-private-key-file'),
  acceptedFlag('cluster-name'),
  flag('cluster-cidr'),
  flag('allocate-node-cidrs', 'bool', 'false'),
  flag('service-cluster-ip-range'),
  flag('node-cidr-mask-size', 'int', '24'),
  flag('node-cidr-mask-size-ipv4', 'int'),
  acceptedFlag('node-cidr-mask-size-ipv6', 'int'),
  acceptedFlag('cluster-signing-kubelet-client-cert-file'),
  acceptedFlag('cluster-signing-kubelet-client-key-file'),
  acceptedFlag('cluster-signing-kubelet-serving-cert-file'),
  acceptedFlag('cluster-signing-kubelet-serving-key-file'),
  acceptedFlag('cluster-signing-kube-apiserver-client-cert-file'),
  acceptedFlag('cluster-signing-kube-apiserver-client-key-file'),
  acceptedFlag('cluster-signing-legacy-unknown-cert-file'),
  acceptedFlag('cluster-signing-legacy-unknown-key-file'),
  acceptedFlag('configure-cloud-routes', 'bool'),
  acceptedFlag('cloud-provider'),
  flag('terminated-pod-gc-threshold', 'int', '12500'),
  acceptedFlag('pod-eviction-timeout', 'duration'),
  acceptedFlag('horizontal-pod-autoscaler-sync-period', 'duration'),
  acceptedFlag('concurrent-deployment-syncs', 'int'),
  acceptedFlag('concurrent-replicaset-syncs', 'int'),
  acceptedFlag('concurrent-namespace-syncs', 'int'),
  acceptedFlag('concurrent-service-syncs', 'int'),
  acceptedFlag('concurrent-serviceaccount-token-syncs', 'int'),
  acceptedFlag('flex-volume-plugin-dir'),
];

async function readFileFlag(flags: ParsedFlags, files: FileHost, name: string): Promise<string | undefined> {
  const file = flags.string(name);
  if (!file) return undefined;
  const data = await files.tryReadFile(file);
  if (!data) throw new KubeforgeError('KF_COMPONENT_FILE_MISSING', `kube-controller-manager: --${name}=${file}: ${files.resolve(file)} does not exist`, { hint: 'run `kubeforge init phase certs all` first, or fix the flag' });
  return data.toString('utf8');
}

async function signingCA(flags: ParsedFlags, files: FileHost): Promise<CertificateAuthority | undefined> {
  const cert = await readFileFlag(flags, files, 'cluster-signing-cert-file');
  const key = await readFileFlag(flags, files, 'cluster-signing-key-file');
  if (!cert || !key) return undefined;
  try {
    return loadCertificateAuthority(cert, key);
  } catch (err) {
    throw new KubeforgeError('KF_COMPONENT_SIGNING_CA', `kube-controller-manager: cannot load the cluster signing CA: ${err instanceof Error ? err.message : String(err)}`, { cause: err, hint: 'check --cluster-signing-cert-file and --cluster-signing-key-file (PEM certificate and its private key)' });
  }
}

function nodeIpamOptions(flags: ParsedFlags): NodeIpamOptions | undefined {
  if (!flags.bool('allocate-node-cidrs')) return undefined;
  const clusterCIDR = flags.string('cluster-cidr');
  if (!clusterCIDR) throw validationError('KF_FLAG_INVALID', 'kube-controller-manager: --allocate-node-cidrs=true needs --cluster-cidr', { hint: 'pass the pod subnet, e.g. --cluster-cidr=10.244.0.0/16' });
  const options = { clusterCIDR, nodeMaskSize: flags.given.has('node-cidr-mask-size-ipv4') ? flags.int('node-cidr-mask-size-ipv4') : flags.int('node-cidr-mask-size'), serviceCIDR: flags.string('service-cluster-ip-range') };
  nextPodCIDR(options, []); // throws KF_NODEIPAM_CIDR for a range it cannot carve
  return options;
}

/** Starts the controller manager; resolves once it serves health (it leads in the background). */
export function runControllerManager(argv: string[], deps: ComponentDeps & { controllers?: readonly ControllerRow[] } = {}): Promise<Running> {
  const table = deps.controllers ?? CONTROLLERS;
  return runComponent(
    {
      name: 'kube-controller-manager',
      flags: CONTROLLER_MANAGER_FLAGS,
      async prepare({ flags, files, log, clientConfig, makeClient }) {
        const options: ManagerOptions = {
          signingCA: await signingCA(flags, files),
          signingDurationMs: flags.duration('cluster-signing-duration'),
          rootCA: await readFileFlag(flags, files, 'root-ca-file'),
          nodeMonitorGracePeriodMs: flags.duration('node-monitor-grace-period'),
          nodeMonitorPeriodMs: flags.duration('node-monitor-period'),
          nodeIpam: nodeIpamOptions(flags),
          terminatedPodGCThreshold: flags.int('terminated-pod-gc-threshold'),
        };
        const selection = flags.list('controllers');
        const unknown = unknownControllers(selection, table);
        if (unknown.length) log.debug(1, `[kube-controller-manager] not bundled, ignored: ${unknown.join(', ')}`);
        const enabled = table.filter((row) => isControllerEnabled(row, selection));
        const perController = flags.bool('use-service-account-credentials');
        return async (ctx) => {
          ctx.log.info(`[kube-controller-manager] starting controllers: ${enabled.map((r) => r.name).join(', ')}`);
          const credentials = serviceAccountCredentials(ctx.client, clientConfig, makeClient, log);
          // Never the manager's own, broader identity instead: upstream's ClientOrDie exits.
          const contextFor = async (row: ControllerRow): Promise<ControllerContext> => {
            if (!perController) return ctx;
            try {
              return { ...ctx, client: await credentials.clientFor(row.serviceAccount, ctx.signal) };
            } catch (err) {
              throw new KubeforgeError('KF_CONTROLLER_CREDENTIALS', `kube-controller-manager: ${row.name} cannot act as kube-system/${row.serviceAccount}: ${errorMessage(err)}`, {
                cause: err,
                hint: '--use-service-account-credentials needs the API server\'s TokenRequest API and RBAC letting the --kubeconfig identity create kube-system serviceaccounts and their tokens; the agent restarts the controller manager',
              });
            }
          };
          // A controller that stops with an error ends the controller manager (the agent
          // restarts it), rather than a leader that holds the Lease, reports healthy and does
          // nothing. Returning without an error (a controller with nothing to do) is fine.
          const runs = enabled.map(async (row) => {
            try {
              await row.make(options).run(await contextFor(row));
            } catch (err) {
              if (ctx.signal.aborted) return;
              throw isKubeforgeError(err) && err.code === 'KF_CONTROLLER_CREDENTIALS'
                ? err
                : new KubeforgeError('KF_CONTROLLER_FAILED', `kube-controller-manager: controller ${row.name} failed: ${errorMessage(err)}`, { cause: err, hint: 'see the log above; the agent restarts the controller manager' });
            }
          });
          await Promise.race([Promise.all(runs), untilAborted(ctx.signal)]);
        };
      },
    },
    argv,
    deps,
  );
}
