/**
 * What runs the pods. CRI: kubeadm requires a container runtime at the configured socket and
 * asks it for its name and version (CRI Version, as `crictl version`); kubeforge also starts the
 * node's own containerd when one is installed, and runs the static pods without any runtime, so
 * finding none is a warning that says which of the two happens.
 * FileExisting-etcd: the agent maps the etcd image to the etcd binary, which must be on PATH.
 */
import { fail, ok, type Check, type CheckResult } from '../types.js';

/** The sockets kubeadm auto-detects, plus docker's own for the report. */
export const KNOWN_RUNTIME_SOCKETS: readonly { runtime: string; socket: string }[] = [
  { runtime: 'containerd', socket: 'unix:///var/run/containerd/containerd.sock' },
  { runtime: 'cri-o', socket: 'unix:///var/run/crio/crio.sock' },
  { runtime: 'cri-dockerd', socket: 'unix:///var/run/cri-dockerd.sock' },
  { runtime: 'docker (not a CRI runtime without cri-dockerd)', socket: 'unix:///var/run/docker.sock' },
];

/** `unix:///run/x.sock` or `/run/x.sock` → `/run/x.sock`. */
export function socketPath(criSocket: string): string {
  return criSocket.replace(/^unix:\/\//, '');
}

export function criCheck(criSocket: string): Check {
  return {
    name: 'CRI',
    fix: 'start the container runtime, or leave it: the bundled kubeforge agent runs the static pods',
    async run({ host }): Promise<CheckResult> {
      const candidates = [{ runtime: 'configured criSocket', socket: criSocket }, ...KNOWN_RUNTIME_SOCKETS.filter((k) => socketPath(k.socket) !== socketPath(criSocket))];
      const states = await Promise.all(candidates.map(async (c) => ({ ...c, state: await host.system.probeUnixSocket(socketPath(c.socket)) })));
      const info = states.map((s) => `${s.socket} (${s.runtime}): ${s.state}`);
      const configured = states[0]!;
      if (configured.state === 'listening') return runtimeVersion(criSocket, info);
      const containerd = await host.system.which('containerd');
      if (containerd) {
        return { errors: [], warnings: [`container runtime socket ${criSocket} ${configured.state === 'refused' ? 'is not accepting connections' : 'does not exist'}; kubeforge starts this node's own containerd (${containerd}) under --root`], info };
      }
      const others = states.slice(1).filter((s) => s.state === 'listening');
      const found = others.length
        ? `; found ${others.map((s) => `${s.runtime} at ${s.socket}`).join(', ')} (set nodeRegistration.criSocket to use it)`
        : '';
      const why = configured.state === 'refused' ? 'is not accepting connections' : 'does not exist';
      return {
        errors: [],
        warnings: [`container runtime socket ${criSocket} ${why}${found}; the bundled kubeforge agent will run the static pods`],
        info,
      };
    },
  };
}

/** `crictl version` through CRI: the runtime's name and version, or kubeadm's "container runtime is not running". */
async function runtimeVersion(criSocket: string, info: string[]): Promise<CheckResult> {
  const { CriClient } = await import('../../agent/cri/client.js');
  const client = await CriClient.connect(criSocket);
  try {
    const v = await client.version(5000);
    return { errors: [], warnings: [], info: [...info, `runtime: ${v.runtimeName} ${v.runtimeVersion} (CRI ${v.runtimeApiVersion}) at ${criSocket}`] };
  } catch (err) {
    return { errors: [`container runtime is not running: ${criSocket} does not answer the CRI: ${(err as Error).message}`], warnings: [], info };
  } finally {
    client.close();
  }
}

/**
 * Wraps a check that only matters for pods run by a container runtime (IP forwarding for CNI):
 * while no runtime listens at the configured socket, the bundled agent runs every pod as a
 * host-network process, so the check's errors become warnings that say so.
 */
export function neededWithRuntime(check: Check, criSocket: string): Check {
  return {
    ...check,
    async run(ctx): Promise<CheckResult> {
      const result = await check.run(ctx);
      if (result.errors.length === 0 || (await ctx.host.system.probeUnixSocket(socketPath(criSocket))) === 'listening') return result;
      const note = 'the bundled kubeforge agent runs pods on the host network, so this is required only once a container runtime runs pods';
      return { ...result, errors: [], warnings: [...result.warnings, ...result.errors.map((e) => `${e}; ${note}`)] };
    },
  };
}

export const ETCD_INSTALL_FIX = 'apt-get install -y etcd-server etcd-client';

export function etcdBinaryCheck(): Check {
  return {
    name: 'FileExisting-etcd',
    fix: `install etcd: ${ETCD_INSTALL_FIX}`,
    async run({ host }) {
      const path = await host.system.which('etcd');
      if (!path) return fail(`etcd not found in system path; install it with \`${ETCD_INSTALL_FIX}\``);
      try {
        const result = await host.processes.run(path, ['--version'], { timeoutMs: 10_000 });
        const version = /etcd Version:\s*(\S+)/.exec(result.stdout)?.[1];
        if (result.exitCode !== 0 || !version) {
          return { errors: [], warnings: [`${path} --version did not report a version (exit code ${result.exitCode})`], info: [`etcd: ${path}`] };
        }
        return { ...ok(), info: [`etcd: ${path} (version ${version})`] };
      } catch (err) {
        return fail(`${path} cannot be run: ${(err as Error).message}`);
      }
    },
  };
}
