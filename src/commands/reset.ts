/**
 * `kubeforge reset`: undo what init or join did to this root. Stops the agent (which stops its
 * pods in reverse order), stops any pod a killed agent left running (through the same PodRunner
 * interface the agent uses), then removes the manifests, PKI, kubeconfigs, etcd data and the
 * agent's state. A root that was never initialised is left alone.
 */
import path from 'node:path';
import { HOSTPATH_FILES_MADE, isRunning, nodeRuntimeLayout, ProcessRunner, readAgentPid, removeNodeRuntime, runtimePaths, type ProcessIdentity } from '../agent/index.js';
import { KubeforgeError } from '../errors.js';
import { createDryRunHost, createHost, ETCD_DATA_DIR, KUBELET_DIR, KUBERNETES_DIR, POD_LOGS_DIR, RUN_DIR, type Host } from '../host/index.js';
import { createLogger, type Logger } from '../log.js';
import { AUDIT_LOG_FILE, AUDIT_POLICY_FILE } from '../manifests/index.js';
import { resetProxyRules } from '../proxy/index.js';
import { ETCD_QUORUM_CHECK, planEtcdMemberRemoval, removeEtcdMember } from './reset-etcd.js';

export interface ResetOptions {
  root: string;
  verbosity: number;
  force: boolean;
  dryRun: boolean;
  certDir: string;
  /** `--ignore-preflight-errors`: `EtcdQuorum` (or `all`) resets a member whose removal costs quorum. */
  ignorePreflightErrors?: string[];
  /** Asks the user to confirm; resolves true for yes. */
  confirm: (question: string) => Promise<boolean>;
  log?: Logger;
}

export interface ResetResult {
  wasInitialised: boolean;
  removed: string[];
}

const AGENT_STOP_TIMEOUT_MS = 60_000;
const POD_GRACE_MS = 10_000;

/** What reset removes, kubeadm's list plus the agent's own state and logs, and the audit policy and log init wrote. */
function resetPaths(certDir: string, root: string): string[] {
  return [
    ...runtimePaths(nodeRuntimeLayout(root)),
    `${KUBERNETES_DIR}/manifests`,
    certDir,
    ...['admin', 'super-admin', 'kubelet', 'bootstrap-kubelet', 'controller-manager', 'scheduler'].map((n) => `${KUBERNETES_DIR}/${n}.conf`),
    ETCD_DATA_DIR,
    KUBELET_DIR,
    RUN_DIR,
    POD_LOGS_DIR,
    '/var/log/kubeforge',
    // The CIS defaults' files (the encryption configuration lives in certDir).
    AUDIT_POLICY_FILE,
    path.posix.dirname(AUDIT_LOG_FILE),
  ];
}

async function waitForExit(host: Host, agent: ProcessIdentity, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isRunning(host.system, agent)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function stopAgentAndPods(host: Host, certDir: string, log: Logger): Promise<void> {
  const agent = await readAgentPid(host);
  if (agent && (await isRunning(host.system, agent))) {
    log.info(`[reset] Stopping the agent (pid ${agent.pid}) and its static pods`);
    host.processes.signal(agent.pid, 'SIGTERM');
    if (!(await waitForExit(host, agent, AGENT_STOP_TIMEOUT_MS))) {
      log.warn(`the agent (pid ${agent.pid}) did not stop within ${AGENT_STOP_TIMEOUT_MS / 1000}s; killing it`);
      host.processes.signal(agent.pid, 'SIGKILL');
    }
  }
  // Pods a killed agent left running are still recorded under /run/kubeforge/pods.
  // Reset only stops pods, so the runner never needs the command that starts components.
  const runner = new ProcessRunner({ host, log, kubeforgeCommand: [], defaultGracePeriodMs: POD_GRACE_MS });
  for (const pod of await runner.listPods()) {
    log.info(`[reset] Stopping static pod ${pod.pod.metadata.namespace}/${pod.pod.metadata.name}`);
    await runner.adopt(pod);
    await runner.stopPod(pod, POD_GRACE_MS);
  }
  // The node's own containerd, its containers, sandboxes, mounts, bridge and rules.
  await removeNodeRuntime(host, log);
  // kube-proxy's rules of this cluster, once no node of it on this machine proxies any more.
  const ca = await host.files.tryReadFile(`${certDir}/ca.crt`);
  if (ca) await resetProxyRules(host, ca.toString('utf8'), log).catch((err: unknown) => log.warn(`[reset] removing the kube-proxy rules: ${err instanceof Error ? err.message : String(err)}`));
}

export async function runReset(options: ResetOptions): Promise<ResetResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const host = options.dryRun
    ? createDryRunHost(options.root, () => {}, (line) => log.info(`[dryrun] ${line}`))
    : createHost(options.root);
  const paths = resetPaths(options.certDir, host.files.root);
  const existing = async () => {
    const found = [];
    for (const p of paths) if (await host.files.exists(p)) found.push(p);
    return found;
  };
  let present = await existing();
  if (present.length === 0) {
    log.info(`[reset] Nothing to reset: ${options.root} has no files of kubeforge init or join`);
    return { wasInitialised: false, removed: [] };
  }
  if (!options.force) {
    log.info("[reset] WARNING: Changes made to this host by 'kubeforge init' or 'kubeforge join' will be reverted.");
    if (!(await options.confirm('[reset] Are you sure you want to proceed? [y/N]: '))) {
      throw new KubeforgeError('KF_RESET_ABORTED', 'reset aborted: nothing was changed', { hint: 'answer y, or pass --force to skip the question' });
    }
  }
  const ignored = (options.ignorePreflightErrors ?? []).map((n) => n.toLowerCase());
  const etcdRemoval = await planEtcdMemberRemoval(host, options.certDir, log, ignored.includes('all') || ignored.includes(ETCD_QUORUM_CHECK.toLowerCase()));
  if (options.dryRun) {
    if (etcdRemoval?.member) log.info(`[dryrun] Would remove etcd member ${etcdRemoval.member.name} (${etcdRemoval.member.id})`);
    log.info(`[dryrun] Would stop the agent and its static pods, and delete: ${present.map((p) => host.files.resolve(p)).join(' ')}`);
    return { wasInitialised: true, removed: [] };
  }
  if (etcdRemoval) await removeEtcdMember(host, options.certDir, etcdRemoval, log);
  await stopAgentAndPods(host, options.certDir, log);
  const hostPathFiles = (await host.files.tryReadFile(HOSTPATH_FILES_MADE))?.toString('utf8').split('\n').filter(Boolean) ?? [];
  // Listed again: until they stopped, the agent and the runtime could still create some (a pod
  // sandbox's CNI state).
  present = await existing();
  log.info(`[reset] Deleting files and directories: [${present.map((p) => host.files.resolve(p)).join(' ')}]`);
  for (const p of present) await host.files.remove(p);
  // Under a relocated root, what the agent created for hostPath volumes goes too: the files it
  // recorded while they are still empty, then empty directories (nothing the user put there is
  // touched). Never on a real root, where such a file (/run/xtables.lock) is the host's.
  if (host.files.root !== '/') {
    for (const file of hostPathFiles) if ((await host.files.stat(file))?.size === 0) await host.files.remove(file);
    await host.files.pruneEmptyDirs('/');
  }
  return { wasInitialised: true, removed: present.map((p) => host.files.resolve(p)) };
}
