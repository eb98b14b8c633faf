/**
 * The node side of bundled images (bundled-images.ts): learns once what the host has for them
 * (the node binary, its libraries by `ldd`, kubeforge's install directory), builds a bundled
 * image under the exact name a pod asks for and imports it into the node's runtime, and tells a
 * bundled image (ours, by its id) from a real one of the same name that someone pulled or
 * imported — which then runs as it is, without kubeforge's mounts.
 */
import path from 'node:path';
import type { Host } from '../../host/index.js';
import { API_SOCKET_DIR } from '../api-socket.js';
import { packageRoot } from '../images.js';
import { bundledImageId, buildBundledImageArchive, libraryDirsFromLdd, type BundledImage, type BundleHostFacts } from './bundled-images.js';
import { importImageArchives } from './image-import.js';
import { BUNDLED_ARCHIVE_DIR } from './layout.js';


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
