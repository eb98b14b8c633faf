/** FileExisting-etcd running a real binary: the installed etcd, and a script that is not etcd. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { etcdBinaryCheck } from '../../src/preflight/checks/runtime.js';
import { cleanupFakeHosts, fakeHost, runCheck } from '../helpers/fake-host.js';

afterEach(cleanupFakeHosts);

describe('FileExisting-etcd', () => {
  it('passes and reports the version of the etcd on PATH', async () => {
    const host = fakeHost({ binaries: new Map([['etcd', '/usr/bin/etcd']]) });
    const result = await runCheck(etcdBinaryCheck(), host);
    expect(result.errors).toEqual([]);
    expect(result.info).toEqual([expect.stringMatching(/^etcd: \/usr\/bin\/etcd \(version \d+\.\d+\.\d+\)$/)]);
  });

  it('warns when the binary does not report a version', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kubeforge-etcd-'));
    const fake = path.join(dir, 'etcd');
    writeFileSync(fake, '#!/bin/sh\necho "not etcd"\nexit 3\n');
    chmodSync(fake, 0o755);
    try {
      const result = await runCheck(etcdBinaryCheck(), fakeHost({ binaries: new Map([['etcd', fake]]) }));
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([`${fake} --version did not report a version (exit code 3)`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
