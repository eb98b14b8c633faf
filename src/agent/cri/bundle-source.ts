/**
 * The node side of bundled images (bundled-images.ts): learns once what the host has for them
 * (the node binary, its libraries by `ldd`, kubeforge's install directory, kube-proxy's
 * iptables tools with their libraries and extensions), builds a bundled
 * image under the exact name a pod asks for and imports it into the node's runtime, and tells a
 * bundled image (ours, by its id) from a real one of the same name that someone pulled or
 * imported — which then runs as it is, without kubeforge's mounts.
 */
import path from 'node:path';
import type { Host } from '../../host/index.js';
import { API_SOCKET_DIR } from '../api-socket.js';
import { packageRoot } from '../images.js';
import { BUNDLED_IMAGES, bundledImageId, buildBundledImageArchive, libraryDirsFromLdd, xtablesDirCandidates, type BundledImage, type BundleHostFacts } from './bundled-images.js';
import { importImageArchives } from './image-import.js';
import { BUNDLED_ARCHIVE_DIR } from './layout.js';

/** Where system tools live when the agent's PATH does not name them (root's sbin directories). */
const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** The host's tool of that name: on the agent's PATH, else in an sbin directory; its real file (links followed, e.g. Debian's alternatives). */
async function findTool(host: Host, name: string): Promise<string | undefined> {
  let file = await host.system.which(name);
  for (const dir of SBIN_DIRS) {
    if (file) break;
    if ((await host.system.listSystemDir(dir))?.includes(name)) file = `${dir}/${name}`;
  }
  for (let hops = 0; file && hops < 16; hops++) {
    const target = await host.system.readSystemLink(file);
    if (target === undefined) return file;
    file = path.resolve(path.dirname(file), target);
  }
  return undefined;
}

/** The tools bundled images run (kube-proxy's iptables), their libraries and iptables' extensions, as this host has them. */
async function toolFacts(host: Host): Promise<Pick<BundleHostFacts, 'tools' | 'toolLibraryDirs' | 'xtablesDir'>> {
  const tools: Record<string, string> = {};
  for (const name of new Set(BUNDLED_IMAGES.flatMap((b) => b.tools ?? []))) {
    const file = await findTool(host, name);
    if (file) tools[name] = file;
  }
  const dirs = new Set<string>();
  let xtablesDir: string | undefined;
  for (const file of new Set(Object.values(tools))) {
    const ldd = await host.processes.run('ldd', [file]);
    if (ldd.exitCode !== 0) continue;
    for (const dir of libraryDirsFromLdd(ldd.stdout)) dirs.add(dir);
    for (const candidate of xtablesDirCandidates(ldd.stdout, host.system.env())) {
      if (xtablesDir) break;
      if ((await host.system.listSystemDir(candidate))?.some((f) => f.endsWith('.so'))) xtablesDir = candidate;
    }
  }
  return { tools, toolLibraryDirs: [...dirs].sort(), ...(xtablesDir ? { xtablesDir } : {}) };
}

export class BundledImageSource {
  private factsPromise: Promise<BundleHostFacts> | undefined;
  private readonly ids = new Map<string, Promise<string>>();

  constructor(private readonly host: Host, private readonly endpoint: string) {}

  facts(): Promise<BundleHostFacts> {
    this.factsPromise ??= this.gather().catch((err) => {
      this.factsPromise = undefined;
      throw err;
    });
    return this.factsPromise;
  }

  private async gather(): Promise<BundleHostFacts> {
    const { host } = this;
    const nodeBinary = process.execPath;
    const ldd = await host.processes.run('ldd', [nodeBinary]);
    // A static node has no libraries; ldd says so with a non-zero exit.
    const libraryDirs = ldd.exitCode === 0 ? libraryDirsFromLdd(ldd.stdout) : [];
    const root = packageRoot();
    const target = await host.system.readSystemLink(path.join(root, 'node_modules'));
    const realPath = target === undefined ? undefined : path.resolve(root, target);
    return {
      nodeBinary,
      libraryDirs,
      packageRoot: root,
      ...(target !== undefined && realPath ? { nodeModulesLink: { target, realPath } } : {}),
      apiSocketDir: host.files.resolve(API_SOCKET_DIR),
      ...(await toolFacts(host)),
    };
  }

  /** Whether the image the runtime holds under that name (its id) is kubeforge's bundled one. */
  async isBundled(bundled: BundledImage, imageId: string): Promise<boolean> {
    let id = this.ids.get(bundled.component);
    if (!id) this.ids.set(bundled.component, (id = bundledImageId(bundled)));
    return (await id) === imageId;
  }

  /** Builds the bundled image under `image` and imports it into the node's runtime. */
  async provide(image: string, bundled: BundledImage): Promise<void> {
    const file = `${BUNDLED_ARCHIVE_DIR}/${bundled.component}.tar`;
    await this.host.files.writeFile(file, await buildBundledImageArchive(image, bundled));
    await importImageArchives(this.host, this.endpoint, [this.host.files.resolve(file)]);
  }
}
