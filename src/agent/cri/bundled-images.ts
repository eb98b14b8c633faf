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
 * and the agent's API socket (api-socket.ts); kube-proxy also gets the host's iptables tools
 * (under the names it runs: a Debian `xtables-nft-multi` picks its mode from argv[0]), their
 * libraries and iptables' extension directory. Pure: facts about the host in, image files and
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
  /** Host programs the component runs, mounted under these names in BUNDLE_TOOL_DIR. */
  tools?: readonly string[];
}

/** What kube-proxy runs (iptables.ts); upstream's image ships them. */
export const IPTABLES_TOOLS = ['iptables', 'iptables-save', 'iptables-restore'] as const;

export const BUNDLED_IMAGES: readonly BundledImage[] = [
  { repository: 'coredns', component: 'coredns', program: '/coredns' },
  { repository: 'kube-proxy', component: 'kube-proxy', program: '/usr/local/bin/kube-proxy', tools: IPTABLES_TOOLS },
];

/** Where the host's files appear inside a bundled container. */
export const BUNDLE_NODE = '/opt/kubeforge/bin/node';
export const BUNDLE_APP = '/opt/kubeforge/app';
/** The directory of the agent's API socket inside the container (dns/api-client.ts dials it). */
export const BUNDLE_API_DIR = '/var/run/kubeforge';
/** Where host tools appear inside a bundled container (on the runtime's default PATH; bundleEnv sets it too). */
export const BUNDLE_TOOL_DIR = '/usr/sbin';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

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
  /** Host tools found (name → the real file behind its links), for the images that list them. */
  tools?: Record<string, string>;
  /** The directories of those tools' libraries and loader (from ldd). */
  toolLibraryDirs?: string[];
  /** iptables' extension directory (libxt_*.so), which libxtables looks for at a path compiled in: XTABLES_LIBDIR names it. */
  xtablesDir?: string;
}

/**
 * Where iptables' extensions may be, best first: the host's XTABLES_LIBDIR, `xtables` next to
 * libxtables (Debian: /lib/x86_64-linux-gnu/xtables), then the usual prefixes of other distros.
 */
export function xtablesDirCandidates(lddOutput: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const libxtables = /libxtables\.so\S*\s+=>\s*(\/\S+)/.exec(lddOutput)?.[1];
  return [
    ...(env.XTABLES_LIBDIR ? env.XTABLES_LIBDIR.split(':') : []),
    ...(libxtables ? [path.posix.join(path.posix.dirname(libxtables), 'xtables')] : []),
    '/usr/lib/xtables', '/usr/lib64/xtables', '/usr/libexec/xtables', '/lib/xtables', '/lib64/xtables', '/usr/local/lib/xtables',
  ];
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

/** The host tools a bundled image gets, by their name in the container, and the library directories they add. */
function bundledTools(facts: BundleHostFacts, bundled: BundledImage): { tools: [string, string][]; libraryDirs: string[] } {
  const tools = (bundled.tools ?? []).flatMap((name): [string, string][] => (facts.tools?.[name] ? [[name, facts.tools[name]]] : []));
  const libraryDirs = tools.length > 0 ? (facts.toolLibraryDirs ?? []).filter((d) => !facts.libraryDirs.includes(d)) : [];
  return { tools, libraryDirs };
}

const usesIptables = (bundled: BundledImage) => bundled.tools?.includes('iptables') === true;

/** The read-only mounts a bundled container gets (after the pod's own). */
export function bundleMounts(facts: BundleHostFacts, bundled: BundledImage): CriMount[] {
  const ro = (hostPath: string, containerPath: string): CriMount => ({ hostPath, containerPath, readonly: true });
  const link = facts.nodeModulesLink;
  const { tools, libraryDirs } = bundledTools(facts, bundled);
  const allDirs = [...facts.libraryDirs, ...libraryDirs];
  // Extensions inside a mounted library directory are already there (Debian's are).
  const xtables = usesIptables(bundled) && tools.length > 0 && facts.xtablesDir && !allDirs.some((d) => facts.xtablesDir!.startsWith(`${d}/`)) ? [ro(facts.xtablesDir, facts.xtablesDir)] : [];
  return [
    ro(facts.nodeBinary, BUNDLE_NODE),
    ...facts.libraryDirs.map((d) => ro(d, d)),
    ro(facts.packageRoot, BUNDLE_APP),
    // The link inside the mounted package resolves in the container's root: mount its target there.
    ...(link ? [ro(link.realPath, path.posix.resolve(BUNDLE_APP, link.target))] : []),
    ro(facts.apiSocketDir, BUNDLE_API_DIR),
    // A multi-call binary mounted under each name it is run as: it reads its mode from argv[0].
    ...tools.map(([name, file]) => ro(file, `${BUNDLE_TOOL_DIR}/${name}`)),
    ...libraryDirs.map((d) => ro(d, d)),
    ...xtables,
  ];
}

/**
 * The environment a bundled container gets, before the pod's own (which wins): the loader finds
 * the mounted libraries; with host tools, PATH finds them and libxtables its extensions.
 */
export function bundleEnv(facts: BundleHostFacts, bundled: BundledImage): { key: string; value: string }[] {
  const { tools, libraryDirs } = bundledTools(facts, bundled);
  return [
    { key: 'LD_LIBRARY_PATH', value: [...facts.libraryDirs, ...libraryDirs].join(':') },
    ...(tools.length > 0 ? [{ key: 'PATH', value: DEFAULT_PATH }] : []),
    ...(tools.length > 0 && usesIptables(bundled) && facts.xtablesDir ? [{ key: 'XTABLES_LIBDIR', value: facts.xtablesDir }] : []),
  ];
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
