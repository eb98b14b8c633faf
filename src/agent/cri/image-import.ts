/**
 * Imports image archives into a node's containerd (namespace k8s.io), as `ctr images import`
 * does: used by `kubeforge images import`, by the agent for the air-gap directory and for the
 * pause image it builds. Every archive is checked first; one bad archive means none is imported.
 */
import path from 'node:path';
import { KubeforgeError, validationError } from '../../errors.js';
import type { Host } from '../../host/index.js';
import { checkImageArchive } from './image-archive.js';
import { CRI_NAMESPACE, socketPath } from './layout.js';

/** Image archives may be large; this bounds what one file may hold. */
const MAX_ARCHIVE_BYTES = 4 * 1024 * 1024 * 1024;

export interface ImportedArchive {
  file: string;
  images: string[];
}

/** Checks every archive (real paths), then imports them one by one with ctr. */
export async function importImageArchives(host: Host, endpoint: string, files: string[]): Promise<ImportedArchive[]> {
  const checked: ImportedArchive[] = [];
  for (const file of files) {
    const data = await host.files.readUserFile(file, MAX_ARCHIVE_BYTES);
    const result = await checkImageArchive(data);
    if (!result.ok) {
      throw validationError('KF_IMAGE_ARCHIVE_INVALID', `${path.resolve(file)} is not a valid image archive: ${result.reason}`, {
        hint: 'nothing was imported; pass OCI archives (`docker save`, `ctr images export`, `skopeo copy … oci-archive:`) that are complete',
      });
    }
    checked.push({ file: path.resolve(file), images: result.names });
  }
  const ctr = await host.system.which('ctr');
  if (!ctr) throw new KubeforgeError('KF_CTR_MISSING', 'ctr (containerd\'s client) is not installed', { hint: 'apt-get install -y containerd' });
  for (const archive of checked) {
    const result = await host.processes.run(ctr, ['--address', socketPath(endpoint), '-n', CRI_NAMESPACE, 'images', 'import', archive.file], { timeoutMs: 10 * 60_000 });
    if (result.exitCode !== 0) {
      throw new KubeforgeError('KF_IMAGE_IMPORT_FAILED', `importing ${archive.file} failed: ${(result.stderr || result.stdout).trim().split('\n').pop()}`, {
        hint: `is the runtime at ${endpoint} running? (kubeforge images list --root …)`,
      });
    }
  }
  return checked;
}
