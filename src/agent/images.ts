/**
 * Image → implementation. Without a container runtime the agent runs each container's command
 * as a process, so an image only says which program to run:
 *
 * - `<registry>/etcd:<tag>`: the installed `etcd` binary (command[0], resolved on PATH);
 * - `<registry>/kube-apiserver|kube-controller-manager|kube-scheduler:<tag>`: the bundled
 *   component, `kubeforge component <name> <args>` (the manifest's command[0] is the name);
 * - any other image: its command[0] when that is an absolute path or a program on PATH
 *   (tests run small fixture scripts with `node`), otherwise the container cannot run and
 *   reports `ImageNotSupported`.
 *
 * The registry part is ignored so a custom kubeadm `imageRepository` maps the same way.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUNDLED_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** A resolved program: what to exec and its arguments (before volume path rewriting). */
export interface Program {
  file: string;
  args: string[];
}

export type ImageResolution = { ok: true; program: Program } | { ok: false; reason: 'ImageNotSupported' | 'InvalidImageName'; message: string };

/** `registry.k8s.io/etcd:3.5.16-0` → `etcd`; undefined for a malformed reference. */
export function imageRepositoryName(image: string): string | undefined {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const name = colon > lastSlash ? withoutDigest.slice(lastSlash + 1, colon) : withoutDigest.slice(lastSlash + 1);
  return /^[a-z0-9]+([._-][a-z0-9]+)*$/.test(name) ? name : undefined;
}

/** The directory holding kubeforge's package.json (found upwards from this module). */
export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
  return dir;
}

/** How to run `kubeforge`: node plus the launcher of this package. */
export function defaultKubeforgeCommand(): string[] {
  return [process.execPath, path.join(packageRoot(), 'bin', 'kubeforge.js')];
}

export interface ResolveOptions {
  /** `which` on PATH. */
  which(binary: string): Promise<string | undefined>;
  kubeforgeCommand: string[];
}

async function resolveCommand(command: string, which: ResolveOptions['which']): Promise<string | undefined> {
  if (path.isAbsolute(command)) return existsSync(command) ? command : undefined;
  if (command.includes('/')) return undefined;
  return which(command);
}

/** The program a container runs, or why it cannot run. */
export async function resolveProgram(image: string, command: string[], args: string[], options: ResolveOptions): Promise<ImageResolution> {
  const name = imageRepositoryName(image);
  if (!name) return { ok: false, reason: 'InvalidImageName', message: `invalid image name "${image}"` };
  const argv = [...command, ...args];
  if ((BUNDLED_COMPONENTS as readonly string[]).includes(name)) {
    // kubeadm's manifests start with the component's name; the flags follow.
    const rest = argv[0] === name ? argv.slice(1) : argv;
    const [file, ...prefix] = options.kubeforgeCommand;
    return { ok: true, program: { file: file!, args: [...prefix, 'component', name, ...rest] } };
  }
  const [first, ...rest] = argv;
  if (first === undefined) return { ok: false, reason: 'ImageNotSupported', message: `image "${image}" has no command` };
  const file = await resolveCommand(first, options.which);
  if (file) return { ok: true, program: { file, args: rest } };
  const expected = name === 'etcd' ? 'the etcd binary (install it: apt-get install etcd-server)' : `"${first}" (an absolute path or a program on PATH)`;
  return { ok: false, reason: 'ImageNotSupported', message: `image "${image}" cannot run without a container runtime: ${expected} was not found` };
}
