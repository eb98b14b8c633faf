import type { Command } from 'commander';
import { resolveRoot } from '../host/index.js';
import { globals } from './globals.js';
import { formatTable } from './output.js';

const CRI_SOCKET_HELP = "the node's CRI endpoint (default: the --container-runtime-endpoint init/join wrote to kubeadm-flags.env)";

/** ctr/crictl's size column: 1.2MB, 734kB. */
function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(n < 10 ? 2 : 1)}${units[u]}`;
}

export function registerImages(program: Command): void {
  const images = program.command('images').description("Manage the images of this node's container runtime");
  images
    .command('import <archive...>')
    .description('Import OCI or docker image archives into the node\'s runtime (namespace k8s.io); all are checked first, a bad one imports nothing')
    .option('--cri-socket <endpoint>', CRI_SOCKET_HELP)
    .action(async (files: string[], opts: { criSocket?: string }, self: Command) => {
      const { runImagesImport } = await import('../commands/images.js');
      const done = await runImagesImport({ root: resolveRoot(globals(self).root), files, ...(opts.criSocket ? { criSocket: opts.criSocket } : {}) });
      for (const d of done) process.stdout.write(`imported ${d.images.join(', ')} from ${d.file}\n`);
    });
  images
    .command('list')
    .description("List the images in the node's runtime")
    .option('--cri-socket <endpoint>', CRI_SOCKET_HELP)
    .action(async (opts: { criSocket?: string }, self: Command) => {
      const { runImagesList } = await import('../commands/images.js');
      const rows = await runImagesList({ root: resolveRoot(globals(self).root), ...(opts.criSocket ? { criSocket: opts.criSocket } : {}) });
      process.stdout.write(formatTable(['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], rows.map((r) => [r.image, r.tag, r.id, humanSize(r.size)])));
    });
}
