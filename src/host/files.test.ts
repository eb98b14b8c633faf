import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RealFiles } from './files.js';
import { RecordingFiles, redactSecrets } from './recording.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kf-host-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('RealFiles', () => {
  it('maps logical kubeadm paths under the root', () => {
    const files = new RealFiles(root);
    expect(files.resolve('/etc/kubernetes/pki/ca.crt')).toBe(path.join(root, 'etc/kubernetes/pki/ca.crt'));
    expect(new RealFiles('/').resolve('/etc/kubernetes')).toBe('/etc/kubernetes');
  });

  it('writes atomically with the requested mode and creates parent directories', async () => {
    const files = new RealFiles(root);
    await files.writeFile('/etc/kubernetes/pki/ca.key', 'secret', { mode: 0o600 });
    const real = path.join(root, 'etc/kubernetes/pki/ca.key');
    expect(await readFile(real, 'utf8')).toBe('secret');
    expect((await stat(real)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(real))).toEqual(['ca.key']);
  });

  it('removes temp files that a killed earlier write left behind', async () => {
    const files = new RealFiles(root);
    await files.writeFile('/etc/x.conf', 'old');
    await writeFile(path.join(root, 'etc/.x.conf.0123456789ab.tmp'), 'half');
    await files.writeFile('/etc/x.conf', 'new');
    expect(await readdir(path.join(root, 'etc'))).toEqual(['x.conf']);
  });

  it('says a root under a regular file is not writable', async () => {
    await writeFile(path.join(root, 'file'), '');
    expect(await new RealFiles(path.join(root, 'file/sub')).rootWritable()).toBe(false);
    expect(await new RealFiles(path.join(root, 'new/deeper')).rootWritable()).toBe(true);
  });

  it('prunes empty directories below a path and keeps any with files', async () => {
    const files = new RealFiles(root);
    await files.mkdir('/etc/ssl/certs');
    await files.mkdir('/usr/libexec/kubernetes/kubelet-plugins/volume/exec');
    await files.writeFile('/etc/keep/me.txt', 'x');
    await files.pruneEmptyDirs('/');
    expect((await readdir(root, { recursive: true })).sort()).toEqual(['etc', 'etc/keep', 'etc/keep/me.txt']);
  });

  it('refuses a user file over the size limit before reading it', async () => {
    await writeFile(path.join(root, 'big.yaml'), Buffer.alloc(2048));
    await expect(new RealFiles(root).readUserFile(path.join(root, 'big.yaml'), 1024)).rejects.toMatchObject({ code: 'KF_FILE_TOO_LARGE', exitCode: 3 });
  });
});

describe('RecordingFiles (dry run)', () => {
  it('keeps writes in memory, reads them back, and leaves the disk untouched', async () => {
    const reported: string[] = [];
    const files = new RecordingFiles(new RealFiles(root), (w) => reported.push(w.path));
    await files.writeFile('/etc/kubernetes/admin.conf', 'hello', { mode: 0o600 });
    expect((await files.readFile('/etc/kubernetes/admin.conf')).toString()).toBe('hello');
    expect(await files.list('/etc/kubernetes')).toEqual(['admin.conf']);
    expect(reported).toEqual([path.join(root, 'etc/kubernetes/admin.conf')]);
    expect(await readdir(root)).toEqual([]);
  });

  it('redacts private keys and token secrets from what it shows', () => {
    const text = 'a\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n    client-key-data: LS0tLS1\n  token: abcdef.0123456789abcdef\n';
    const shown = redactSecrets(text);
    expect(shown).not.toContain('MIIE');
    expect(shown).not.toContain('LS0tLS1');
    expect(shown).not.toContain('0123456789abcdef');
  });
});
