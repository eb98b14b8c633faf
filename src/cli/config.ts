import type { Command } from 'commander';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Manage configuration for a kubeforge cluster');
  const print = config.command('print').description('Print configuration');
  print
    .command('init-defaults')
    .description('Print default init configuration, that can be used for "kubeforge init"')
    .action(async () => {
      const { printInitDefaults } = await import('../config/index.js');
      process.stdout.write(printInitDefaults());
    });
  print
    .command('join-defaults')
    .description('Print default join configuration, that can be used for "kubeforge join"')
    .action(async () => {
      const { printJoinDefaults } = await import('../config/index.js');
      process.stdout.write(printJoinDefaults());
    });
  config
    .command('images')
    .description('Interact with container images used by kubeforge')
    .command('list')
    .description('Print a list of images kubeforge will use')
    .option('--kubernetes-version <version>', 'choose a specific Kubernetes version for the control plane')
    .option('--image-repository <registry>', 'choose a container registry to pull control plane images from', 'registry.k8s.io')
    .action(async (opts: { kubernetesVersion?: string; imageRepository: string }) => {
      const { clusterImages } = await import('../commands/images.js');
      process.stdout.write(`${clusterImages(opts.kubernetesVersion, opts.imageRepository).join('\n')}\n`);
    });
}
