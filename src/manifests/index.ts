/**
 * src/manifests — the files kubeadm renders for a control-plane node, as pure functions of the
 * internal config: the four static pods (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler) and the kubelet configuration, plus the systemd unit for `kubeforge agent`.
 * Callers write the results through the Host; nothing here touches the node's files.
 *
 * What lives here:
 * - components.ts  the component table (binary, image, flags builder, probe endpoint, requests,
 *                  annotations); render.ts walks it with one loop and fills templates/static-pod.yaml
 * - flags.ts       kubeadm's default flags per component; args.ts merges extraArgs (ArgumentsToCommand)
 * - volumes.ts     kubeadm's hostPath volumes as a table; pod.ts the Pod types, probes, env, mounts
 * - kubelet.ts     /var/lib/kubelet/config.yaml and the agent's systemd unit
 * - templates.ts   loading templates/ and the one deterministic YAML serialiser (kubeadm's key order)
 * - addresses.ts   the loopback rule, below
 * - audit-policy.ts the audit policy file the CIS default --audit-policy-file names
 *
 * The loopback rule (ARCHITECTURE.md, "Running many nodes on one machine"). kubeforge runs
 * several nodes on one machine, each advertising its own loopback address (127.0.0.2, ...). Where
 * kubeadm binds or dials 127.0.0.1 (::1 for IPv6) — etcd's --listen-client-urls and
 * --listen-metrics-urls, the API server's --etcd-servers, the controller manager's and
 * scheduler's --bind-address, the probe hosts, the kubelet's healthzBindAddress — a node whose
 * advertise address is a loopback address uses that address instead (duplicate URLs dropped).
 * Where kubeadm binds all interfaces (the API server's --bind-address, the kubelet's address),
 * such a node binds only its advertise address, so two nodes never clash on 6443 or 10250.
 * etcd's peer URLs already use the advertise address. A node with a routable advertise address
 * gets exactly kubeadm's values. `nodeAddresses()` in addresses.ts is the single place that
 * decides; every renderer reads its result. User extraArgs still override any of these.
 */
export { isLoopbackAddress, joinHostPort, nodeAddresses, type NodeAddresses } from './addresses.js';
export { argumentsToCommand, getArgValue, setArgValue } from './args.js';
export { COMPONENTS, type ComponentRow } from './components.js';
export {
  CONTROLLER_MANAGER_PORT,
  ETCD_CLIENT_PORT,
  ETCD_METRICS_PORT,
  ETCD_PEER_PORT,
  SCHEDULER_PORT,
  etcdClientURL,
  etcdPeerURL,
  type EtcdMember,
} from './flags.js';
export type { Container, Pod, Probe, StaticPodComponent, Volume, VolumeMount } from './pod.js';
export { proxyEnvVars } from './pod.js';
export {
  MANIFESTS_DIR,
  STATIC_POD_COMPONENTS,
  goDurationSeconds,
  renderStaticPod,
  renderStaticPods,
  staticPodPath,
  type StaticPodManifest,
  type StaticPodOptions,
} from './render.js';
export {
  KUBELET_CONFIG_PATH,
  SYSTEMD_RESOLVED_RESOLV_CONF,
  kubeletConfiguration,
  nodeKubeletConfiguration,
  renderAgentUnit,
  renderKubeletConfig,
  type AgentUnitValues,
  type KubeletConfigOptions,
} from './kubelet.js';
export { toYaml } from './templates.js';
export { auditPolicyFile, type AuditPolicyFile } from './audit-policy.js';
export { AUDIT_LOG_FILE, AUDIT_POLICY_FILE } from './flags.js';
export { CA_CERTS_EXTRA_VOLUME_PATHS } from './volumes.js';
