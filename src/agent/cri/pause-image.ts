/**
 * The sandbox ("pause") image kubeforge provides offline: a static init that only waits
 * (catatonit in pause mode), else a static busybox sleeping. Built as an OCI archive, imported
 * into the node's containerd under the name its CRI plugin's sandbox_image says.
 */
import { KubeforgeError } from '../../errors.js';
import type { Host } from '../../host/index.js';
import { buildOciArchive, type LayerEntry } from './oci-archive.js';
import { PAUSE_IMAGE } from './layout.js';

/** Where the pause binary may come from, in order of preference (Debian's packages). */
const PAUSE_SOURCES: { binary: string; entrypoint: (path: string) => string[] }[] = [
  { binary: '/usr/bin/catatonit', entrypoint: (p) => [p, '-P'] },
  { binary: '/bin/busybox', entrypoint: (p) => [p, 'sleep', '2147483647'] },
];

/** The pause image's OCI archive bytes, from the first static binary found. */
export async function buildPauseArchive(host: Host): Promise<Buffer> {
  for (const source of PAUSE_SOURCES) {
    let content: Buffer;
    try {
      content = await host.files.readUserFile(source.binary, 64 * 1024 * 1024);
    } catch {
      continue;
    }
    const entries: LayerEntry[] = [{ path: 'pause', type: 'file', content, mode: 0o755 }];
    return buildOciArchive({ name: PAUSE_IMAGE, entries, entrypoint: source.entrypoint('/pause') });
  }
  throw new KubeforgeError('KF_PAUSE_BINARY_MISSING', `no static binary for the pause image: none of ${PAUSE_SOURCES.map((s) => s.binary).join(', ')} exists`, {
    hint: 'apt-get install -y catatonit (or busybox-static)',
  });
}
