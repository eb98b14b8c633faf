/**
 * Add-on images kubeforge bundles, run THROUGH the container runtime like any pod (sandbox, pod
 * IP, logs, restarts, probes): where kubeadm's Deployment or DaemonSet names
 * `…/coredns:<tag>` or `…/kube-proxy:<tag>` and no registry can serve it, the agent builds a
 * small local image of that exact name and imports it instead of pulling. The image holds no
 * program of its own: its upstream entry points (`/coredns`, `/usr/local/bin/kube-proxy`) are
 * scripts for `node` that start `kubeforge component <name>` with the container's arguments, so
 * upstream's args keep working. What they need comes from the host as read-only bind mounts
 * that the CRI runner adds for these images only: the node binary and the directories of its
 * shared libraries, kubeforge's install directory (and its node_modules when that is a link),
 * and the agent's API socket (api-socket.ts). Pure: facts about the host in, image files and
 * mounts out.
 */
import path from 'node:path';
import { imageRepositoryName } from '../images.js';
import { buildOciArchive, ociImageId, type ImageSpec, type LayerEntry } from './oci-archive.js';
import type { CriMount } from './pod-config.js';

export interface BundledImage {
  /** The image's repository name (the last path part, any registry). */
  repository: string;
  /** `kubeforge component <component>`. */
  component: string;
  /** Where upstream's image has its program: the entry point pods may name as command[0]. */
  program: string;
}

export const BUNDLED_IMAGES: readonly BundledImage[] = [
  { repository: 'coredns', component: 'coredns', program: '/coredns' },
  { repository: 'kube-proxy', component: 'kube-proxy', program: '/usr/local/bin/kube-proxy' },
];

/** Where the host's files appear inside a bundled container. */
export const BUNDLE_NODE = '/opt/kubeforge/bin/node';
export const BUNDLE_APP = '/opt/kubeforge/app';
/** The directory of the agent's API socket inside the container (dns/api-client.ts dials it). */
export const BUNDLE_API_DIR = '/var/run/kubeforge';

/** The bundled image an image reference names, if any. */
export function bundledImage(image: string): BundledImage | undefined {
  const name = imageRepositoryName(image);
  return BUNDLED_IMAGES.find((b) => b.repository === name);
}

/** What the host has for bundled containers. */
export interface BundleHostFacts {
  /** The node binary (real path). */
  nodeBinary: string;
  /** Directories holding its shared libraries and loader (from ldd), as the loader looks for them. */
  libraryDirs: string[];
  /** kubeforge's package root (real path). */
  packageRoot: string;
  /** Where `<packageRoot>/node_modules` links to, when it is a symlink (a development checkout). */
  nodeModulesLink?: { target: string; realPath: string };
  /** The host directory of the agent's API socket. */
  apiSocketDir: string;
}

/** `ldd` output → the directories of every library and of the loader. */
export function libraryDirsFromLdd(output: string): string[] {
  const dirs = new Set<string>();
  for (const line of output.split('\n')) {
    const file = /=>\s*(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s/.exec(line)?.[1];
    if (file) dirs.add(path.posix.dirname(file));
  }
  return [...dirs].sort();
}

/** The read-only mounts a bundled container gets (after the pod's own). */
export function bundleMounts(facts: BundleHostFacts): CriMount[] {
  const ro = (hostPath: string, containerPath: string): CriMount => ({ hostPath, containerPath, readonly: true });
  const link = facts.nodeModulesLink;
  return [
    ro(facts.nodeBinary, BUNDLE_NODE),
    ...facts.libraryDirs.map((d) => ro(d, d)),
    ro(facts.packageRoot, BUNDLE_APP),
    // The link inside the mounted package resolves in the container's root: mount its target there.
    ...(link ? [ro(link.realPath, path.posix.resolve(BUNDLE_APP, link.target))] : []),
    ro(facts.apiSocketDir, BUNDLE_API_DIR),
  ];
}

/** The environment a bundled container gets: the loader finds the mounted libraries. */
export function bundleEnv(facts: BundleHostFacts): { key: string; value: string }[] {
  return [{ key: 'LD_LIBRARY_PATH', value: facts.libraryDirs.join(':') }];
}

/** The script at an entry point: node runs it (its first line is skipped), it starts the component. */
export function entryScript(component: string): string {
  return [
    `#!${BUNDLE_NODE}`,
    `// kubeforge's bundled ${component}: \`kubeforge component ${component}\` with this container's arguments.`,
    `process.argv.splice(2, 0, 'component', ${JSON.stringify(component)});`,
    `import(${JSON.stringify(`${BUNDLE_APP}/bin/kubeforge.js`)});`,
    '',
  ].join('\n');
}

/** The files of a bundled image: every entry point as a script, the mount points, a passwd. */
export function bundledImageEntries(): LayerEntry[] {
  const dirs = ['etc', 'tmp', 'var', 'var/run', 'opt', 'opt/kubeforge', 'opt/kubeforge/bin', 'opt/kubeforge/app', 'usr', 'usr/local', 'usr/local/bin', 'var/run/kubeforge'];
  return [
    ...dirs.map((p): LayerEntry => ({ path: p, type: 'directory', mode: p === 'tmp' ? 0o1777 : 0o755 })),
    { path: 'opt/kubeforge/bin/node', type: 'file', content: new Uint8Array(), mode: 0o755 },
    ...BUNDLED_IMAGES.map((b): LayerEntry => ({ path: b.program.slice(1), type: 'file', content: Buffer.from(entryScript(b.component)), mode: 0o755 })),
    { path: 'etc/passwd', type: 'file', content: Buffer.from('root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n') },
    { path: 'etc/group', type: 'file', content: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
  ];
}

/** The bundled image named `image` (its entry point is upstream's). */
export function bundledImageSpec(image: string, bundled: BundledImage): ImageSpec {
  return { name: image, entries: bundledImageEntries(), entrypoint: [bundled.program], labels: { 'io.kubeforge.bundled': bundled.component } };
}

/** The OCI archive of a bundled image, to import. */
export function buildBundledImageArchive(image: string, bundled: BundledImage): Promise<Buffer> {
  return buildOciArchive(bundledImageSpec(image, bundled));
}

/** The id the runtime gives the bundled image: an image of that name with another id is a real (pulled or imported) one. */
export function bundledImageId(bundled: BundledImage): Promise<string> {
  return ociImageId(bundledImageSpec('', bundled));
}
