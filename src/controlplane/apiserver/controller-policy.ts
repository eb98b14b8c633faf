/**
 * Upstream's controller roles (bootstrappolicy/controller_policy.go): one ClusterRole
 * `system:controller:<name>` per controller ServiceAccount in kube-system, bound to it. The
 * controller manager runs with --use-service-account-credentials, so each controller acts with
 * exactly these rights. Data only; policy.ts adds it to the bootstrap policy.
 */
import type { PolicyRule } from './rbac.js';

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
});
const READ = ['get', 'list', 'watch'];
const EVENTS = rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']);
const KUBELET_SIGNERS = ['kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kube-apiserver-client', 'kubernetes.io/kubelet-serving'];

/** ServiceAccount name in kube-system → the rules of its `system:controller:<name>` ClusterRole. */
export const CONTROLLER_ROLES: Record<string, PolicyRule[]> = {
  'bootstrap-signer': [rule([...READ, 'update'], [''], ['configmaps']), rule(READ, [''], ['secrets']), EVENTS],
  'token-cleaner': [rule([...READ, 'delete'], [''], ['secrets']), EVENTS],
  'certificate-controller': [
    rule([...READ, 'delete'], ['certificates.k8s.io'], ['certificatesigningrequests']),
    rule(['update'], ['certificates.k8s.io'], ['certificatesigningrequests/approval', 'certificatesigningrequests/status']),
    rule(['approve', 'sign'], ['certificates.k8s.io'], ['signers'], KUBELET_SIGNERS),
    rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
    EVENTS,
  ],
  'node-controller': [
    rule([...READ, 'delete', 'patch', 'update'], [''], ['nodes']),
    rule(['patch', 'update'], [''], ['nodes/status', 'pods/status']),
    rule(['delete', 'list', 'watch'], [''], ['pods']),
    rule(READ, ['coordination.k8s.io'], ['leases']),
    EVENTS,
  ],
  'service-account-controller': [rule(['create'], [''], ['serviceaccounts']), EVENTS],
  'root-ca-cert-publisher': [rule(['create', 'update'], [''], ['configmaps']), EVENTS],
  'namespace-controller': [
    rule([...READ, 'delete'], [''], ['namespaces']),
    rule(['update'], [''], ['namespaces/finalize', 'namespaces/status']),
    rule([...READ, 'delete', 'deletecollection'], ['*'], ['*']),
  ],
  'deployment-controller': [
    rule([...READ, 'update'], ['apps'], ['deployments']),
    rule(['update'], ['apps'], ['deployments/status', 'deployments/finalizers']),
    rule([...READ, 'create', 'delete', 'patch', 'update'], ['apps'], ['replicasets']),
    rule([...READ, 'update'], [''], ['pods']),
    EVENTS,
  ],
  'replicaset-controller': [
    rule([...READ, 'update'], ['apps'], ['replicasets']),
    rule(['update'], ['apps'], ['replicasets/status', 'replicasets/finalizers']),
    rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']),
    EVENTS,
  ],
  'job-controller': [
    rule([...READ, 'update', 'patch'], ['batch'], ['jobs']),
    rule(['update', 'patch'], ['batch'], ['jobs/status']),
    rule(['update'], ['batch'], ['jobs/finalizers']),
    rule(['list', 'watch', 'create', 'delete', 'patch'], [''], ['pods']),
    EVENTS,
  ],
  'cronjob-controller': [
    rule([...READ, 'create', 'update', 'delete', 'patch'], ['batch'], ['jobs']),
    rule([...READ, 'update'], ['batch'], ['cronjobs']),
    rule(['update'], ['batch'], ['cronjobs/status']),
    rule(['update'], ['batch'], ['cronjobs/finalizers']),
    rule(['list', 'delete'], [''], ['pods']),
    EVENTS,
  ],
  'ttl-after-finished-controller': [rule([...READ, 'delete'], ['batch'], ['jobs']), EVENTS],
  'disruption-controller': [
    rule(READ, ['apps'], ['deployments', 'replicasets', 'statefulsets']),
    rule(READ, [''], ['replicationcontrollers']),
    rule(READ, ['policy'], ['poddisruptionbudgets']),
    rule(['update'], ['policy'], ['poddisruptionbudgets/status']),
    rule(['get'], ['*'], ['*/scale']),
    EVENTS,
  ],
  'pod-garbage-collector': [
    rule(['list', 'watch', 'delete'], [''], ['pods']),
    rule(['get', 'list'], [''], ['nodes']),
    rule(['patch'], [''], ['pods/status']),
  ],
  'daemon-set-controller': [
    rule(READ, ['apps'], ['daemonsets']),
    rule(['update'], ['apps'], ['daemonsets/status', 'daemonsets/finalizers']),
    rule(['list', 'watch'], [''], ['nodes']),
    rule(['list', 'watch', 'create', 'delete', 'patch'], [''], ['pods']),
    rule(['create'], [''], ['pods/binding']),
    rule([...READ, 'create', 'delete', 'update', 'patch'], ['apps'], ['controllerrevisions']),
    EVENTS,
  ],
  'statefulset-controller': [
    rule(['list', 'watch'], ['apps'], ['statefulsets']),
    rule(['update'], ['apps'], ['statefulsets/status', 'statefulsets/finalizers']),
    rule([...READ, 'create', 'delete', 'update', 'patch'], [''], ['pods']),
    rule([...READ, 'create', 'delete', 'update', 'patch'], ['apps'], ['controllerrevisions']),
    rule(['get', 'create'], [''], ['persistentvolumeclaims']),
    EVENTS,
  ],
  'endpoint-controller': [
    rule(READ, [''], ['services', 'pods']),
    rule(['get', 'list', 'create', 'update', 'delete'], [''], ['endpoints']),
    rule(['create'], [''], ['endpoints/restricted']),
    EVENTS,
  ],
  'endpointslice-controller': [
    rule(READ, [''], ['services', 'pods', 'nodes']),
    rule(['update'], [''], ['services/finalizers']),
    rule(['get', 'list', 'create', 'update', 'delete'], ['discovery.k8s.io'], ['endpointslices']),
    EVENTS,
  ],
  'endpointslicemirroring-controller': [
    rule(READ, [''], ['services', 'endpoints']),
    rule(['update'], [''], ['endpoints/finalizers']),
    rule(['get', 'list', 'create', 'update', 'delete'], ['discovery.k8s.io'], ['endpointslices']),
    EVENTS,
  ],
  'generic-garbage-collector': [rule([...READ, 'patch', 'update', 'delete'], ['*'], ['*'])],
};
