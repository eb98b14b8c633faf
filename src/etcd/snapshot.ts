/**
 * Disaster recovery (etcdctl's `snapshot save|restore`, k3s's etcd-snapshot, k0s's
 * backup/restore): a consistent snapshot streamed from one member through the maintenance API,
 * and a restore into a fresh data dir holding a one-member cluster. A snapshot is etcd's bbolt
 * database followed by the SHA-256 of that database (the last 32 bytes of the stream), so a
 * truncated or foreign file is recognised before anything is touched.
 */
import { createHash } from 'node:crypto';
import { KubeforgeError, errorMessage, validationError } from '../errors.js';
import type { Etcd3 } from 'etcd3';

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

/** Streams a snapshot from the member `client` talks to; resolves with the whole file (database + checksum). */
export async function streamSnapshot(client: Etcd3, endpoint: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    const stream = await client.maintenance.snapshot();
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (res) => chunks.push(Buffer.from(res.blob)));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
  } catch (err) {
    throw new KubeforgeError('KF_ETCD_SNAPSHOT_FAILED', `cannot take a snapshot from etcd at ${endpoint}: ${errorMessage(err)}`, {
      cause: err,
      hint: 'check that this node\'s etcd runs (`kubeforge etcd member list`)',
    });
  }
  const data = Buffer.concat(chunks);
  verifySnapshot(data, `the snapshot streamed from ${endpoint}`);
  return data;
}

/** etcdctl's restore arguments for a one-member cluster named `name` with this peer URL. */
export function restoreArgs(file: string, dataDir: string, name: string, peerURL: string): string[] {
  return ['snapshot', 'restore', file, '--name', name, '--initial-cluster', `${name}=${peerURL}`, '--initial-advertise-peer-urls', peerURL, '--data-dir', dataDir];
}
