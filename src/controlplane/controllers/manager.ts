/**
 * The controller table of the bundled kube-controller-manager: each row a controller with its
 * upstream names (the short name kubeadm's --controllers uses and the newer
 * `-controller` alias) and whether `*` turns it on (bootstrapsigner and tokencleaner are off by
 * default upstream; kubeadm enables them explicitly).
 */
import type { Controller } from '../common/controller.js';
import type { CertificateAuthority } from '../../pki/index.js';
import { bootstrapSignerController } from './bootstrapsigner.js';
import { csrApprovingController } from './csrapproving.js';
import { csrSigningController } from './csrsigning.js';
import { daemonSetController } from './daemonset.js';
import { deploymentController } from './deployment.js';
import { cronJobController } from './cronjob.js';
import { disruptionController } from './disruption.js';
import { endpointsController } from './endpoints.js';
import { endpointSliceController } from './endpointslice.js';
import { endpointSliceMirroringController } from './endpointslice-mirroring.js';
import { garbageCollectorController } from './garbagecollector.js';
import { jobController } from './job.js';
import { namespaceController } from './namespace.js';
import { nodeIpamController, type NodeIpamOptions } from './nodeipam.js';
import { nodeLifecycleController } from './nodelifecycle.js';
import { podGCController } from './podgc.js';
import { replicaSetController } from './replicaset.js';
import { taintEvictionController } from './tainteviction.js';
import { statefulSetController } from './statefulset.js';
import { rootCACertPublisherController, serviceAccountController } from './serviceaccount.js';
import { tokenCleanerController } from './tokencleaner.js';
import { ttlAfterFinishedController } from './ttlafterfinished.js';

export interface ManagerOptions {
  signingCA: CertificateAuthority | undefined;
  signingDurationMs: number;
  rootCA: string | undefined;
  nodeMonitorGracePeriodMs: number;
  nodeMonitorPeriodMs: number;
  /** --terminated-pod-gc-threshold: finished pods kept before the oldest are deleted. */
  terminatedPodGCThreshold: number;
  /** Set with --allocate-node-cidrs=true and --cluster-cidr. */
  nodeIpam: NodeIpamOptions | undefined;
}

export interface ControllerRow {
  name: string;
  /** The kube-system ServiceAccount it acts as with --use-service-account-credentials. */
  serviceAccount: string;
  alias: string;
  enabledByDefault: boolean;
  make(options: ManagerOptions): Controller;
}

export const CONTROLLERS: readonly ControllerRow[] = [
  { name: 'bootstrapsigner', serviceAccount: 'bootstrap-signer', alias: 'bootstrap-signer-controller', enabledByDefault: false, make: () => bootstrapSignerController() },
  { name: 'tokencleaner', serviceAccount: 'token-cleaner', alias: 'token-cleaner-controller', enabledByDefault: false, make: () => tokenCleanerController },
  { name: 'csrapproving', serviceAccount: 'certificate-controller', alias: 'certificatesigningrequest-approving-controller', enabledByDefault: true, make: () => csrApprovingController },
  { name: 'csrsigning', serviceAccount: 'certificate-controller', alias: 'certificatesigningrequest-signing-controller', enabledByDefault: true, make: (o) => csrSigningController({ ca: o.signingCA, durationMs: o.signingDurationMs }) },
  { name: 'nodelifecycle', serviceAccount: 'node-controller', alias: 'node-lifecycle-controller', enabledByDefault: true, make: (o) => nodeLifecycleController({ gracePeriodMs: o.nodeMonitorGracePeriodMs, monitorPeriodMs: o.nodeMonitorPeriodMs }) },
  { name: 'taint-eviction-controller', serviceAccount: 'node-controller', alias: 'taint-eviction-controller', enabledByDefault: true, make: () => taintEvictionController },
  { name: 'podgc', serviceAccount: 'pod-garbage-collector', alias: 'pod-garbage-collector-controller', enabledByDefault: true, make: (o) => podGCController({ terminatedPodThreshold: o.terminatedPodGCThreshold }) },
  { name: 'nodeipam', serviceAccount: 'node-controller', alias: 'node-ipam-controller', enabledByDefault: true, make: (o) => nodeIpamController(o.nodeIpam) },
  { name: 'serviceaccount', serviceAccount: 'service-account-controller', alias: 'serviceaccount-controller', enabledByDefault: true, make: () => serviceAccountController },
  { name: 'root-ca-cert-publisher', serviceAccount: 'root-ca-cert-publisher', alias: 'root-ca-certificate-publisher-controller', enabledByDefault: true, make: (o) => rootCACertPublisherController(o.rootCA) },
  { name: 'namespace', serviceAccount: 'namespace-controller', alias: 'namespace-controller', enabledByDefault: true, make: () => namespaceController },
  { name: 'deployment', serviceAccount: 'deployment-controller', alias: 'deployment-controller', enabledByDefault: true, make: () => deploymentController },
  { name: 'replicaset', serviceAccount: 'replicaset-controller', alias: 'replicaset-controller', enabledByDefault: true, make: () => replicaSetController },
  { name: 'job', serviceAccount: 'job-controller', alias: 'job-controller', enabledByDefault: true, make: () => jobController },
  { name: 'cronjob', serviceAccount: 'cronjob-controller', alias: 'cronjob-controller', enabledByDefault: true, make: () => cronJobController },
  { name: 'ttl-after-finished', serviceAccount: 'ttl-after-finished-controller', alias: 'ttl-after-finished-controller', enabledByDefault: true, make: () => ttlAfterFinishedController },
  { name: 'disruption', serviceAccount: 'disruption-controller', alias: 'disruption-controller', enabledByDefault: true, make: () => disruptionController },
  { name: 'daemonset', serviceAccount: 'daemon-set-controller', alias: 'daemonset-controller', enabledByDefault: true, make: () => daemonSetController },
  { name: 'statefulset', serviceAccount: 'statefulset-controller', alias: 'statefulset-controller', enabledByDefault: true, make: () => statefulSetController },
  { name: 'endpoint', serviceAccount: 'endpoint-controller', alias: 'endpoints-controller', enabledByDefault: true, make: () => endpointsController },
  { name: 'endpointslice', serviceAccount: 'endpointslice-controller', alias: 'endpointslice-controller', enabledByDefault: true, make: () => endpointSliceController },
  { name: 'endpointslicemirroring', serviceAccount: 'endpointslicemirroring-controller', alias: 'endpointslice-mirroring-controller', enabledByDefault: true, make: () => endpointSliceMirroringController },
  { name: 'garbagecollector', serviceAccount: 'generic-garbage-collector', alias: 'garbage-collector-controller', enabledByDefault: true, make: () => garbageCollectorController },
];

/** upstream's IsControllerEnabled: an explicit name or -name wins, then `*` means the defaults. */
export function isControllerEnabled(row: Pick<ControllerRow, 'name' | 'alias' | 'enabledByDefault'>, selection: readonly string[]): boolean {
  let star = false;
  for (const entry of selection) {
    if (entry === row.name || entry === row.alias) return true;
    if (entry === `-${row.name}` || entry === `-${row.alias}`) return false;
    if (entry === '*') star = true;
  }
  return star && row.enabledByDefault;
}

/** Names in --controllers that this controller manager does not have (they are ignored). */
export function unknownControllers(selection: readonly string[], rows: readonly ControllerRow[] = CONTROLLERS): string[] {
  const known = new Set(rows.flatMap((r) => [r.name, r.alias]));
  return selection.map((s) => s.replace(/^-/, '')).filter((s) => s !== '*' && !known.has(s));
}
