/**
 * hostPath volumes under --root. A process sees the host's file system, not a container's, so
 * every argument or environment value that names a path under a volumeMount's mountPath is
 * rewritten to the volume's hostPath under the root:
 * `--tls-cert-file=/etc/kubernetes/pki/apiserver.crt` → `--tls-cert-file=<root>/etc/kubernetes/pki/apiserver.crt`.
 */
import path from 'node:path';
import { underRoot } from '../host/index.js';
import type { Container, Volume } from './pod.js';

/** A container path prefix and the real directory or file it stands for. */
export interface PathMapping {
  mountPath: string;
  realPath: string;
}

/** The mappings of a container's hostPath mounts, longest mountPath first (nested mounts win). */
export function pathMappings(root: string, container: Container, volumes: Volume[] = []): PathMapping[] {
  const mappings: PathMapping[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    if (!volume?.hostPath) continue;
    const hostPath = mount.subPath ? path.posix.join(volume.hostPath.path, mount.subPath) : volume.hostPath.path;
    mappings.push({ mountPath: path.posix.normalize(mount.mountPath).replace(/\/+$/, '') || '/', realPath: underRoot(root, hostPath) });
  }
  return mappings.sort((a, b) => b.mountPath.length - a.mountPath.length);
}

function mapPath(candidate: string, mappings: PathMapping[]): string {
  if (!candidate.startsWith('/')) return candidate;
  for (const { mountPath, realPath } of mappings) {
    if (candidate === mountPath) return realPath;
    const prefix = mountPath === '/' ? '/' : `${mountPath}/`;
    if (candidate.startsWith(prefix)) return path.join(realPath, candidate.slice(prefix.length));
  }
  return candidate;
}

/**
 * Rewrites the paths in one argument or env value: the whole value, the part after `=` of a
 * `--flag=value`, and each element of a comma-separated list. Anything that is not an absolute
 * path under a mountPath (URLs, numbers, relative paths) is left as written.
 */
export function rewriteVolumePaths(value: string, mappings: PathMapping[]): string {
  if (mappings.length === 0) return value;
  const eq = value.startsWith('-') ? value.indexOf('=') : -1;
  const head = eq >= 0 ? value.slice(0, eq + 1) : '';
  const tail = eq >= 0 ? value.slice(eq + 1) : value;
  return head + tail.split(',').map((part) => mapPath(part, mappings)).join(',');
}

/** The hostPath directories the kubelet would create before starting the pod (type DirectoryOrCreate). */
export function directoriesToCreate(volumes: Volume[] = []): string[] {
  return volumes.filter((v) => v.hostPath?.type === 'DirectoryOrCreate').map((v) => v.hostPath!.path);
}
