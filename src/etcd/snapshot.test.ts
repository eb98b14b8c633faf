import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { restoreArgs, verifySnapshot } from './snapshot.js';

/** A stand-in bbolt file: two 4 KiB meta pages with the magic at offset 16, and its SHA-256 trailer. */
function snapshot(size = 4 * 4096): Buffer {
  const db = Buffer.alloc(size, 7);
  db.writeUInt32LE(0xed0cdaed, 16);
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

describe('verifySnapshot', () => {
  it('accepts a database followed by its SHA-256', () => {
    const info = verifySnapshot(snapshot(), 'snap.db');
    expect(info.dbBytes).toBe(4 * 4096);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a truncated snapshot (the checksum no longer matches)', () => {
    const whole = snapshot();
    expect(() => verifySnapshot(whole.subarray(0, whole.length - 100), 'snap.db')).toThrow(
      expect.objectContaining({ code: 'KF_ETCD_SNAPSHOT_INVALID', exitCode: 3, message: expect.stringContaining('truncated') }),
    );
  });

  it('refuses a file that is not a bbolt database', () => {
    const text = Buffer.alloc(5 * 4096, 'apiVersion: v1\n');
    expect(() => verifySnapshot(text, 'admin.conf')).toThrow(expect.objectContaining({ message: expect.stringContaining('does not start with an etcd (bbolt) database') }));
  });

  it('refuses a file too small to be an etcd database', () => {
    expect(() => verifySnapshot(Buffer.from('hello'), 'x')).toThrow(expect.objectContaining({ message: expect.stringContaining('5 bytes') }));
  });
});

it('restores as a one-member cluster named after the node', () => {
  expect(restoreArgs('/s.db', '/r/var/lib/etcd', 'cp1', 'https://127.0.0.2:2380')).toEqual([
    'snapshot', 'restore', '/s.db', '--name', 'cp1', '--initial-cluster', 'cp1=https://127.0.0.2:2380', '--initial-advertise-peer-urls', 'https://127.0.0.2:2380', '--data-dir', '/r/var/lib/etcd',
  ]);
});
