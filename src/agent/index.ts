/**
 * The node agent (`kubeforge agent`), a small kubelet. Here:
 * - agent.ts          runAgent: the components below, started in order, stopped in reverse
 * - agent-lock.ts     /run/kubeforge/agent.pid: one agent per root
 * - component-manager.ts k0s-style component lifecycle (init/start/ready/stop)
 * - manifest-source.ts watches /etc/kubernetes/manifests (fs.watch + periodic re-scan)
 * - pod.ts            the v1 Pod subset, manifest parsing and validation, static pod uid, spec hash
 * - static-pods.ts    manifests → pod workers (start, replace, stop, adopt, orphans)
 * - pod-worker.ts     one pod: restarts with CrashLoopBackOff, probes, preStop hooks, v1 status
 *   (lifecycle-hooks.ts runs a preStop hook within the grace period)
 * - backoff.ts, prober.ts, probe.ts, status.ts   the pure rules and the probe actions
 * - runner.ts         the PodRunner interface (CRI-shaped); process-runner.ts + proc.ts: processes
 * - images.ts         image → program; volumes.ts: hostPath paths under --root
 * - status-file.ts    /run/kubeforge/agent-status.json, read by init's wait step
 * - mirror-pod.ts     the mirror pod of a static pod
 * The API side (runAgent's `api` option):
 * - client-cert.ts    TLS bootstrap (bootstrap-kubelet.conf → CSR → kubelet.conf), seeding the store from an
 *                     embedded kubelet.conf (init's), and client cert rotation
 * - api-connection.ts the KubeClient from kubelet.conf (with kubelet-client-current.pem once it exists),
 *                     retried with back-off until the API answers
 * - node-object.ts    the Node and Lease objects (pure); node-facts.ts: the machine facts
 * - node-registration.ts  registers the Node, posts its status (10 s when changed, else every 5 min)
 * - node-lease.ts     kube-node-lease/<node>, renewed every 10 s
 * - mirror-pods.ts    mirror pods with the static pods' status; deletes mirrors of removed pods
 * - kubelet-server.ts the kubelet API on <node-ip>:10250 (healthz, pods, containerLogs, metrics);
 * - kubelet-streams.ts its /exec, /attach, /portForward: the CRI runner's streaming URL, the upgrade proxied to it;
 *   serving-cert.ts its self-signed certificate; container-logs.ts reads/follows log files
 * - periodic.ts       a task repeated on an interval, with back-off after failures
 * - api-pods.ts      every pod bound to this node from the API (workers, status, Events, graceful deletion);
 *   runner-choice.ts the one rule that picks a pod's runner; pod-objects.ts the ConfigMaps/Secrets/tokens
 *   pods need; pod-events.ts the pod Events
 * - cri/             the CRI runner and the node's runtime: client.ts (gRPC, templates/cri/runtime-v1.proto),
 *   cri-runner.ts, pleg.ts (one relist per node wakes the pod workers), pod-config.ts (CRI request
 *   bodies), pod-resources.ts (env, volumes, pull secrets), volume-contents.ts (volumes written once,
 *   rewritten when a projected token is due),
 *   node-containerd.ts + runtime-config.ts + layout.ts (the node-private containerd, CNI conflist,
 *   per-node names), pod-network.ts (conflist from the Node's podCIDR), runtime-endpoint.ts (which
 *   runtime, kubeadm-flags.env), oci-archive.ts + pause-image.ts + image-archive.ts + image-import.ts
 *   (offline images), cri-log.ts (CRI log files), cleanup.ts (what reset removes)
 * - cert-monitor.ts   certificate care every 60 s: auto-renew at 2/3 of the lifetime (the injected
 *   renewer, `certs renew`'s code), the expiry gauges for /metrics, CertificateExpiringSoon events;
 *   cert-expiry.ts: its pure rules (due, lifetime, metric text, once-only warnings, the Event)
 */
export { runAgent, type AgentOptions, type AgentApiOptions, type AgentCriOptions, type RunningAgent } from './agent.js';
export type { StopMode, Component } from './component-manager.js';
export { AGENT_PID_FILE, readAgentPid } from './agent-lock.js';
export { isRunning, type ProcessIdentity } from './proc.js';
export { readAgentStatus, AGENT_STATUS_FILE, type AgentStatus, type AgentStatusPod } from './status-file.js';
export { isPodReady, type PodStatus, type ContainerStatus, type PodCondition, type PodPhase } from './status.js';
export type { StaticPodView, ManifestError } from './static-pods.js';
export type { PodRunner, ContainerRuntimeState, ExecResult } from './runner.js';
export { ContainerStartError } from './runner.js';
export { ProcessRunner, PODS_RUN_DIR, podDirName } from './process-runner.js';
export type { Pod, StaticPod, Container, Probe } from './pod.js';
export { parseStaticPod, staticPodUid } from './pod.js';
export { rewriteVolumePaths, pathMappings } from './volumes.js';
export { resolveProgram, BUNDLED_COMPONENTS } from './images.js';
export { mirrorPodFor, type MirrorPod, CONFIG_MIRROR_ANNOTATION, CONFIG_HASH_ANNOTATION } from './mirror-pod.js';
export { KUBELET_PORT, KUBELET_API_CLIENTS, mayUseKubeletApi } from './kubelet-server.js';
export { nodeObject, nodeStatus, nodeLease, KUBELET_VERSION, NODE_LEASE_NAMESPACE, type NodeFacts } from './node-object.js';
export type { CertificateRenewer, RenewalRequest, RenewalOutcome } from './cert-monitor.js';
export { renewalDue, certificateLifetimeMs, expirationMetricsText, RENEW_AT_FRACTION, EXPIRY_WARNING_MS } from './cert-expiry.js';
export { BOOTSTRAP_KUBECONFIG, CLIENT_CERT_CURRENT, KUBELET_CLIENT_SIGNER } from './client-cert.js';
export { chooseRuntime, kubeletFlags, kubeletFlagsEnv, parseKubeletFlagsEnv, type RuntimeChoice } from './cri/runtime-endpoint.js';
export { privateEndpoint } from './cri/node-containerd.js';
export { nodeRuntimeLayout, socketPath as criSocketPath, IMAGES_DIR, PAUSE_IMAGE, DEFAULT_POD_SUBNET } from './cri/layout.js';
export { CriClient, type VersionInfo } from './cri/client.js';
export { importImageArchives } from './cri/image-import.js';
export { removeNodeRuntime, runtimePaths } from './cri/cleanup.js';
export { HOSTPATH_FILES_MADE } from './cri/pod-resources.js';
