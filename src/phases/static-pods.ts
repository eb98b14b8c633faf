/**
 * Writing a control-plane node's static pods, shared by `init` and `join --control-plane`: the
 * manifest (0600), and before it what the component needs on disk — the API server the audit
 * policy its CIS default flag names, etcd its 0700 data dir.
 */
import path from 'node:path';
import type { InitConfig } from '../config/types.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import { auditPolicyFile, renderStaticPod, type StaticPodComponent, type StaticPodOptions } from '../manifests/index.js';

export async function writeStaticPod(host: Host, log: Logger, cfg: InitConfig, component: StaticPodComponent, options: StaticPodOptions = {}): Promise<void> {
  if (component === 'kube-apiserver') await writeAuditPolicy(host, log, cfg);
  if (component === 'etcd') await ensureEtcdDataDir(host, cfg);
  const manifest = renderStaticPod(cfg, component, options);
  await host.files.writeFile(manifest.path, manifest.yaml, { mode: 0o600 });
}

/** An existing (possibly edited) policy is kept. */
async function writeAuditPolicy(host: Host, log: Logger, cfg: InitConfig): Promise<void> {
  const policy = auditPolicyFile(cfg.cluster);
  if (!policy || (await host.files.exists(policy.path))) return;
  log.info(`[control-plane] Writing the audit policy to "${policy.path}"`);
  await host.files.writeFile(policy.path, policy.content, { mode: 0o600 });
}

/**
 * kubeadm's CreateLocalEtcdStaticPodManifestFile makes the data dir 0700 before etcd starts (CIS
 * 1.1.11); the agent would otherwise create it as a hostPath volume, 0755.
 */
async function ensureEtcdDataDir(host: Host, cfg: InitConfig): Promise<void> {
  const dataDir = cfg.cluster.etcd.local?.dataDir;
  if (dataDir === undefined) return;
  await host.files.mkdir(path.posix.dirname(dataDir));
  await host.files.mkdir(dataDir, 0o700);
}
