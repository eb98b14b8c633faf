/**
 * `kubeforge etcd member list` and `kubeforge etcd snapshot save|restore`: the stacked etcd of a
 * control-plane node, reached with the node's own etcd client certificate.
 */
import path from 'node:path';
import { KubeforgeError, validationError } from '../errors.js';
import { EtcdCluster, etcdCredentials, requireLocalEtcd, restoreArgs, streamSnapshot, verifySnapshot, type EtcdMemberStatus, type SnapshotInfo } from '../etcd/index.js';
import { createHost, ETCD_DATA_DIR } from '../host/index.js';
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

/** A client to the cluster through this node's member. */
async function localCluster(root: string): Promise<EtcdCluster> {
  const host = createHost(root);
  const local = await requireLocalEtcd(host.files);
  return new EtcdCluster([local.clientURL], await etcdCredentials(host.files, CERTIFICATES_DIR));
}

export async function etcdMemberList(options: EtcdCommandOptions): Promise<EtcdMemberStatus[]> {
  const cluster = await localCluster(options.root);
  try {
    return await cluster.memberStatuses();
  } finally {
    cluster.close();
  }
}

export interface SnapshotSaveResult extends SnapshotInfo {
  file: string;
  endpoint: string;
  revision: string;
}

export async function etcdSnapshotSave(options: EtcdCommandOptions & { file: string }): Promise<SnapshotSaveResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const file = path.resolve(options.file);
  const cluster = await localCluster(options.root);
  try {
    const endpoint = cluster.endpoints[0]!;
    const revision = (await cluster.raw().maintenance.status()).header.revision;
    log.info(`[etcd] Streaming a snapshot from ${endpoint}`);
    const data = await streamSnapshot(cluster.raw(), endpoint);
    const info = verifySnapshot(data, file);
    // Written 0600 through a temp file and a rename: a crash never leaves half a snapshot under the name.
    await createHost('/').files.writeFile(file, data, { mode: 0o600 });
    log.info(`[etcd] Snapshot saved at ${file}`);
    return { file, endpoint, revision, ...info };
  } finally {
    cluster.close();
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
  memberId?: string;
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
  const run = await host.processes.run('etcdctl', restoreArgs(file, dataDir, name, peerURL), { env: { ETCDCTL_API: '3' } });
  if (run.exitCode !== 0) {
    await host.files.remove(ETCD_DATA_DIR);
    throw new KubeforgeError('KF_ETCD_RESTORE_FAILED', `etcdctl snapshot restore failed (exit ${run.exitCode}): ${run.stderr.trim().split('\n').slice(-3).join(' ')}`, {
      hint: 'nothing was kept; check that the file is an etcd snapshot and that etcdctl is installed',
    });
  }
  const id = /member ID[":\s]+([0-9a-f]+)/i.exec(run.stderr + run.stdout)?.[1];
  log.info('[etcd] Restored. Start the control plane on it with `kubeforge init --ignore-preflight-errors=DirAvailable--var-lib-etcd` using this node name and address');
  return { dataDir, name, peerURL, ...(id ? { memberId: id } : {}) };
}
