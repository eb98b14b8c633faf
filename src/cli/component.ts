import type { Command } from 'commander';

/** A running component: `stop` ends it; `done` settles when it ends by itself (rejects on failure). */
interface RunningComponent {
  stop(): Promise<void>;
  done: Promise<void>;
}

/** How long a stopped component may take to end by itself before it exits anyway. */
const SIGNAL_EXIT_MS = 1000;

/** The bundled components, run from the static-pod manifests' and add-ons' command lines. */
const COMPONENTS: Record<string, (argv: string[]) => Promise<RunningComponent>> = {
  'kube-apiserver': async (argv) => {
    const { runKubeApiserver } = await import('../controlplane/apiserver/index.js');
    const server = await runKubeApiserver(argv);
    let stopped!: () => void;
    const done = new Promise<void>((resolve) => (stopped = resolve));
    return { stop: () => server.close().then(stopped), done };
  },
  'kube-controller-manager': async (argv) => (await import('../controlplane/controllers/index.js')).runControllerManager(argv),
  'kube-scheduler': async (argv) => (await import('../controlplane/scheduler/index.js')).runScheduler(argv),
  // The cluster DNS add-on (CoreDNS's Deployment runs it from the bundled image).
  coredns: async (argv) => (await import('../dns/coredns.js')).runCoreDNS(argv),
  'kube-proxy': async (argv) => (await import('../proxy/index.js')).runKubeProxy(argv),
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
      const run = COMPONENTS[name];
      if (!run) {
        const { validationError } = await import('../errors.js');
        throw validationError('KF_UNKNOWN_COMPONENT', `unknown component "${name}"`, { hint: `use one of: ${Object.keys(COMPONENTS).join(', ')}` });
      }
      // Runs until SIGTERM/SIGINT (then closes listeners and clients and exits) or until the
      // component fails, e.g. it lost its leader election: exit 1, and the agent restarts it, as
      // the kubelet would. The handlers come first: as a container's PID 1, node ignores a
      // SIGTERM it has no handler for, and the pod would wait out its whole grace period.
      const started: { component?: RunningComponent } = {};
      const stop = () => {
        if (!started.component) process.exit(143);
        // Exits once stopped, even if a handle outlives stop (a socket still closing).
        void started.component.stop().finally(() => setTimeout(() => process.exit(), SIGNAL_EXIT_MS).unref());
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      started.component = await run(flags);
      await started.component.done;
    });
}
