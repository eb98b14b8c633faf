/**
 * File checks. FileAvailable, DirAvailable and FileExisting look at kubeforge's own files, so
 * they go through host.files (logical paths under --root); FileContent reads kernel settings, so
 * it goes through host.system (the real /proc, whatever the root).
 */
import { fail, ok, type Check } from '../types.js';

/** kubeadm's naming: `FileAvailable-` + the path with every `/` turned into `-`. */
export function pathCheckName(kind: 'FileAvailable' | 'DirAvailable' | 'FileExisting' | 'FileContent', path: string): string {
  return `${kind}-${path.replaceAll('/', '-')}`;
}

/** The file must not exist yet (a previous init/join left it behind). */
export function fileAvailableCheck(path: string): Check {
  return {
    name: pathCheckName('FileAvailable', path),
    fix: 'a previous init or join left this file: run `kubeforge reset` (with the same --root) first',
    async run({ host }) {
      return (await host.files.exists(path)) ? fail(`${host.files.resolve(path)} already exists`) : ok();
    },
  };
}

/** The directory must be missing or empty. */
export function dirAvailableCheck(path: string): Check {
  return {
    name: pathCheckName('DirAvailable', path),
    fix: 'a previous node left data here: run `kubeforge reset` (with the same --root) or empty the directory',
    async run({ host }) {
      const real = host.files.resolve(path);
      let stat;
      try {
        stat = await host.files.stat(path);
      } catch (err) {
        return fail(`unable to check if ${real} is empty: ${(err as Error).message}`);
      }
      if (!stat) return ok();
      if (!stat.isDirectory) return fail(`${real} is not empty`);
      return (await host.files.list(path)).length > 0 ? fail(`${real} is not empty`) : ok();
    },
  };
}

/** The file must exist (e.g. external etcd client certificates); `label` overrides the derived name. */
export function fileExistingCheck(path: string, label?: string): Check {
  return {
    name: label ?? pathCheckName('FileExisting', path),
    fix: 'create the file or correct its path in the configuration',
    async run({ host }) {
      return (await host.files.exists(path)) ? ok() : fail(`${host.files.resolve(path)} doesn't exist`);
    },
  };
}

/** The real system file must start with `content` (kubeadm compares that many bytes). */
export function fileContentCheck(path: string, content: string, fix: string): Check {
  return {
    name: pathCheckName('FileContent', path),
    fix,
    async run({ host }) {
      const text = await host.system.readSystemFile(path);
      if (text === undefined) return fail(`${path} does not exist`);
      return text.slice(0, content.length) === content ? ok() : fail(`${path} contents are not set to ${content}`);
    },
  };
}

export const IPV4_FORWARD = '/proc/sys/net/ipv4/ip_forward';
export const IPV6_DEFAULT_FORWARDING = '/proc/sys/net/ipv6/conf/default/forwarding';

export const ipv4ForwardCheck = (): Check =>
  fileContentCheck(IPV4_FORWARD, '1', 'enable it with `sysctl -w net.ipv4.ip_forward=1` and persist it in /etc/sysctl.d/k8s.conf');

export const ipv6ForwardCheck = (): Check =>
  fileContentCheck(IPV6_DEFAULT_FORWARDING, '1', 'enable it with `sysctl -w net.ipv6.conf.default.forwarding=1` and persist it in /etc/sysctl.d/k8s.conf');
