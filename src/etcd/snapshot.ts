/**
 * Disaster recovery (etcdctl's `snapshot save|restore`, k3s's etcd-snapshot, k0s's
 * backup/restore): a consistent snapshot of one member taken with etcdctl (the maintenance API's
 * snapshot stream; a Go binary starts in a fraction of the time the gRPC client takes to load),
 * and a restore into a fresh data dir holding a one-member cluster. A snapshot is etcd's bbolt
 * database followed by the SHA-256 of that database (the last 32 bytes of the stream), so a
 * truncated or foreign file is recognised before anything is touched.
 */
import { createHash } from 'node:crypto';
import { validationError } from '../errors.js';

const SHA256_BYTES = 32;
/** bbolt's meta page: a 16-byte page header, then the magic 0xED0CDAED (little-endian on every etcd platform). */
const BOLT_MAGIC = 0xed0cdaed;
const BOLT_MAGIC_OFFSET = 16;
const BOLT_MIN_SIZE = 2 * 4096;

export interface SnapshotInfo {
  /** Size of the database (without the trailing checksum). */
  dbBytes: number;
  sha256: string;
}

/** Checks that `data` is a whole etcd snapshot: a bbolt file and its SHA-256 trailer. */
export function verifySnapshot(data: Buffer, name: string): SnapshotInfo {
  const refuse = (why: string) =>
    validationError('KF_ETCD_SNAPSHOT_INVALID', `${name} is not a usable etcd snapshot: ${why}`, {
      hint: 'pass a file written by `kubeforge etcd snapshot save` or `etcdctl snapshot save`; nothing was changed',
    });
  if (data.length < BOLT_MIN_SIZE + SHA256_BYTES) throw refuse(`it has ${data.length} bytes, fewer than the smallest etcd database`);
  if (data.readUInt32LE(BOLT_MAGIC_OFFSET) !== BOLT_MAGIC) throw refuse('it does not start with an etcd (bbolt) database');
  const db = data.subarray(0, data.length - SHA256_BYTES);
  const sha256 = createHash('sha256').update(db).digest();
  if (!sha256.equals(data.subarray(data.length - SHA256_BYTES))) throw refuse('its checksum does not match (the file is truncated or was altered)');
  return { dbBytes: db.length, sha256: sha256.toString('hex') };
}

/** etcdctl's client flags for one member, with a control-plane node's etcd client certificate (real paths). */
export function etcdctlClientArgs(endpoint: string, files: { ca: string; cert: string; key: string }): string[] {
  return [`--endpoints=${endpoint}`, `--cacert=${files.ca}`, `--cert=${files.cert}`, `--key=${files.key}`];
}

/** What `etcdctl snapshot status -w json` says of a snapshot: it is the check that etcd's own tool accepts the file. */
export function parseSnapshotStatus(json: string): { revision: number; totalKey: number } {
  const doc = JSON.parse(json) as { revision?: number; totalKey?: number };
  return { revision: doc.revision ?? 0, totalKey: doc.totalKey ?? 0 };
}

/** etcdctl's restore arguments for a one-member cluster named `name` with this peer URL. */
export function restoreArgs(file: string, dataDir: string, name: string, peerURL: string): string[] {
  return ['snapshot', 'restore', file, '--name', name, '--initial-cluster', `${name}=${peerURL}`, '--initial-advertise-peer-urls', peerURL, '--data-dir', dataDir];
}
