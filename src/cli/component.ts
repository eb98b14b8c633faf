import type { Command } from 'commander';

interface RunningComponent {
  close(): Promise<void>;
}

/** The bundled control-plane components, run from the static-pod manifests' command lines. */
const COMPONENTS: Record<string, () => Promise<(argv: string[]) => Promise<RunningComponent>>> = {
  'kube-apiserver': async () => (await import('../controlplane/apiserver/index.js')).runKubeApiserver,
};

export function registerComponent(program: Command): void {
  program
    .command('component')
    .description(`Run a bundled control-plane component with its upstream flags (${Object.keys(COMPONENTS).join(', ')})`)
    .argument('<name>', 'the component')
    .argument('[flags...]', "the component's own flags, as in its static-pod manifest")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (name: string, flags: string[]) => {
      const load = COMPONENTS[name];
      if (!load) {
        const { validationError } = await import('../errors.js');
        throw validationError('KF_UNKNOWN_COMPONENT', `unknown component "${name}"`, { hint: `use one of: ${Object.keys(COMPONENTS).join(', ')}` });
      }
      const running = await (await load())(flags);
      // Runs until SIGTERM/SIGINT, then closes listeners and clients so the process ends by itself.
      await new Promise<void>((resolve) => {
        const stop = () => void running.close().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
