import { describe, expect, it } from 'vitest';
import { checkImageArchive } from './image-archive.js';
import { buildOciArchive } from './oci-archive.js';

const image = () => buildOciArchive({ name: 'docker.io/kubeforge/tiny:1', entries: [{ path: 'hello', type: 'file', content: Buffer.from('hi\n'), mode: 0o755 }], entrypoint: ['/hello'] });

describe('image archives are checked before anything is imported', () => {
  it('accepts a complete OCI archive and names its image', async () => {
    expect(await checkImageArchive(await image())).toEqual({ ok: true, format: 'oci', names: ['docker.io/kubeforge/tiny:1'] });
  });

  it('refuses a truncated archive', async () => {
    const data = await image();
    const result = await checkImageArchive(data.subarray(0, data.length - 2048));
    expect(result.ok).toBe(false);
  });

  it('refuses an archive whose blob does not match its digest', async () => {
    const data = Buffer.from(await image());
    const at = data.indexOf(Buffer.from('hi\n'));
    data[at] = 'H'.charCodeAt(0);
    expect(await checkImageArchive(data)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match its digest/) });
  });

  it('refuses a file that is no image archive', async () => {
    expect((await checkImageArchive(Buffer.from('not a tar at all'))).ok).toBe(false);
  });
});
