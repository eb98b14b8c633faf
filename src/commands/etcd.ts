/**
 * `kubeforge etcd member list` and `kubeforge etcd snapshot save|restore`: the stacked etcd of a
 * control-plane node, reached with the node's own etcd client certificate.
 */
import path from 'node:path';
import { KubeforgeError, validationError } from '../errors.js';
import { randomBytes } from 'node:crypto';
// The gRPC client (etcd3) loads in seconds on a busy machine: only `member list` imports it.
import type { EtcdMemberStatus } from '../etcd/members.js';
import { etcdClientFilePaths, etcdCredentials } from '../etcd/credentials.js';
import { requireLocalEtcd } from '../etcd/local.js';
import { etcdctlClientArgs, parseSnapshotStatus, restoreArgs, verifySnapshot, type SnapshotInfo } from '../etcd/snapshot.js';
import { createHost, ETCD_DATA_DIR, type Host } from '../host/index.js';
import { createLogger, type Logger } from '../log.js';
import { etcdPeerURL } from '../manifests/index.js';

const CERTIFICATES_DIR = '/etc/kubernetes/pki';
/** A snapshot is read whole to check its checksum; etcd's default quota is 2 GiB. */
const MAX_SNAPSHOT_BYTES = 8 * 1024 ** 3;

export interface EtcdCommandOptions {
  root: string;
  verbosity: number;
  log?: Logger;
}

export async function etcdMemberList(options: EtcdCommandOptions): Promise<EtcdMemberStatus[]> {
  const host = createHost(options.root);
  const local = await requireLocalEtcd(host.files);
  const { EtcdCluster } = await import('../etcd/client.js');
  const cluster = new EtcdCluster([local.clientURL], await etcdCredentials(host.files, CERTIFICATES_DIR));
  try {
    return await cluster.memberStatuses();
  } finally {
    cluster.close();
  }
}

export interface SnapshotSaveResult extends SnapshotInfo {
  file: string;
  endpoint: string;
  revision: number;
  totalKey: number;
}

async function etcdctl(host: Host, args: string[], what: string): Promise<string> {
  const run = await host.processes.run('etcdctl', args, { env: { ETCDCTL_API: '3' } });
  if (run.exitCode !== 0) {
    throw new KubeforgeError('KF_ETCD_SNAPSHOT_FAILED', `${what} failed (etcdctl exit ${run.exitCode}): ${run.stderr.trim().split('\n').slice(-3).join(' ')}`, {
      hint: "check that this node's etcd runs (`kubeforge etcd member list`) and that etcdctl is installed",
    });
  }
  return run.stdout;
}

export async function etcdSnapshotSave(options: EtcdCommandOptions & { file: string }): Promise<SnapshotSaveResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const host = createHost(options.root);
  const local = await requireLocalEtcd(host.files);
  await etcdCredentials(host.files, CERTIFICATES_DIR); // names a missing file clearly
  const file = path.resolve(options.file);
  const user = createHost('/');
  // etcdctl writes beside the target; the checked bytes then replace the target 0600 in one rename.
  const part = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.etcdctl`);
  try {
    log.info(`[etcd] Taking a snapshot from ${local.clientURL}`);
    await etcdctl(host, [...etcdctlClientArgs(local.clientURL, etcdClientFilePaths(host.files, CERTIFICATES_DIR)), 'snapshot', 'save', part], 'etcdctl snapshot save');
    const status = parseSnapshotStatus(await etcdctl(host, ['snapshot', 'status', part, '-w', 'json'], 'etcdctl snapshot status'));
    const data = await user.files.readFile(part);
    const info = verifySnapshot(data, file);
    await user.files.writeFile(file, data, { mode: 0o600 });
    log.info(`[etcd] Snapshot saved at ${file}`);
    return { file, endpoint: local.clientURL, ...status, ...info };
  } finally {
    await user.files.remove(part);
    await user.files.remove(`${part}.part`);
  }
}

export interface SnapshotRestoreOptions extends EtcdCommandOptions {
  file: string;
  /** The restored member's name and advertise address (the node name and address init will use). */
  name?: string;
  advertiseAddress?: string;
}

export interface SnapshotRestoreResult {
  dataDir: string;
  name: string;
  peerURL: string;
}

export async function etcdSnapshotRestore(options: SnapshotRestoreOptions): Promise<SnapshotRestoreResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const host = createHost(options.root);
  const file = path.resolve(options.file);
  verifySnapshot(await host.files.readUserFile(file, MAX_SNAPSHOT_BYTES), file);
  const name = options.name ?? host.system.hostname().toLowerCase();
  const address = options.advertiseAddress ?? host.system.defaultAddress();
  const peerURL = etcdPeerURL(address);
  const dataDir = host.files.resolve(ETCD_DATA_DIR);
  if ((await host.files.exists(ETCD_DATA_DIR)) && (await host.files.list(ETCD_DATA_DIR)).length > 0) {
    throw validationError('KF_ETCD_DATA_DIR_NOT_EMPTY', `${dataDir} is not empty: restoring would overwrite this node's etcd data`, {
      hint: 'restore on a fresh --root, or run `kubeforge reset` on this one first; nothing was changed',
    });
  }
  log.info(`[etcd] Restoring ${file} into ${dataDir} as the one-member cluster "${name}" (${peerURL})`);
  try {
    await etcdctl(host, restoreArgs(file, dataDir, name, peerURL), 'etcdctl snapshot restore');
  } catch (err) {
    await host.files.remove(ETCD_DATA_DIR); // nothing half-restored is kept
    throw err;
  }
  log.info('[etcd] Restored. Start the control plane on it with `kubeforge init --ignore-preflight-errors=DirAvailable--var-lib-etcd` using this node name and address');
  return { dataDir, name, peerURL };
}
