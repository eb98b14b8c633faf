/**
 * Builds an OCI image archive (an OCI image layout in a tar, as `ctr images import` and
 * `docker load` read it) from files in memory: one uncompressed layer, the image config and the
 * manifest, named by the `io.containerd.image.name` annotation. kubeforge makes its pause image
 * this way (no registry is needed to start a sandbox) and the tests make their images with it.
 * Pure: bytes in, bytes out; the caller reads the binaries and writes the archive.
 */
import { createHash } from 'node:crypto';
import tar from 'tar-stream';
import { goArch } from '../node-object.js';

export type LayerEntry =
  | { path: string; type: 'file'; content: Uint8Array; mode?: number }
  | { path: string; type: 'symlink'; target: string }
  | { path: string; type: 'directory'; mode?: number };

export interface ImageSpec {
  /** A full reference, e.g. `registry.k8s.io/pause:3.10` or `docker.io/library/busybox:1.35`. */
  name: string;
  entries: LayerEntry[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
}

const EPOCH = new Date(0);

function digest(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Writes tar entries in order and returns the archive's bytes. */
async function tarball(entries: LayerEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (e.type === 'file') pack.entry({ name, mode: e.mode ?? 0o644, mtime: EPOCH, size: e.content.length }, Buffer.from(e.content));
    else if (e.type === 'symlink') pack.entry({ name, type: 'symlink', linkname: e.target, mode: 0o777, mtime: EPOCH });
    else pack.entry({ name, type: 'directory', mode: e.mode ?? 0o755, mtime: EPOCH });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** The image's layer and config blobs. */
async function layerAndConfig(spec: ImageSpec, arch: string): Promise<{ layer: Buffer; config: Buffer }> {
  const layer = await tarball(spec.entries);
  const config = json({
    architecture: arch,
    os: 'linux',
    created: EPOCH.toISOString(),
    config: {
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
      ...(spec.labels ? { Labels: spec.labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [digest(layer)] },
  });
  return { layer, config };
}

/** The id a runtime gives the image once imported (its config's digest), e.g. to tell it from another image of the same name. */
export async function ociImageId(spec: ImageSpec, arch: string = goArch(process.arch)): Promise<string> {
  return digest((await layerAndConfig(spec, arch)).config);
}

/** The OCI archive of one single-layer linux/amd64 (or this machine's arch) image. */
export async function buildOciArchive(spec: ImageSpec, arch: string = goArch(process.arch)): Promise<Buffer> {
  const { layer, config } = await layerAndConfig(spec, arch);
  const manifest = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digest(layer), size: layer.length }],
  });
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  const index = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: digest(manifest),
      size: manifest.length,
      platform: { architecture: arch, os: 'linux' },
      annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
    }],
  });
  const blob = (data: Buffer): LayerEntry => ({ path: `blobs/sha256/${digest(data).slice('sha256:'.length)}`, type: 'file', content: data });
  return tarball([
    { path: 'oci-layout', type: 'file', content: json({ imageLayoutVersion: '1.0.0' }) },
    { path: 'blobs', type: 'directory' },
    { path: 'blobs/sha256', type: 'directory' },
    blob(layer),
    blob(config),
    blob(manifest),
    { path: 'index.json', type: 'file', content: index },
  ]);
}

/**
 * The files of an image made of one static busybox: the binary and one symlink per applet, the
 * directories a container expects, and a root user. Gives `sh`, `httpd`, `wget`, `sleep`, … .
 */
export function busyboxEntries(busybox: Uint8Array, applets: string[]): LayerEntry[] {
  return [
    ...['bin', 'etc', 'tmp', 'var', 'var/www', 'root'].map((path): LayerEntry => ({ path, type: 'directory', mode: path === 'tmp' ? 0o1777 : 0o755 })),
    { path: 'bin/busybox', type: 'file', content: busybox, mode: 0o755 },
    ...applets.filter((a) => a !== 'busybox').map((a): LayerEntry => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: 'etc/passwd', type: 'file', content: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n') },
    { path: 'etc/group', type: 'file', content: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
  ];
}
