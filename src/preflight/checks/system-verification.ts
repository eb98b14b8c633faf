/**
 * SystemVerification: kubeadm runs k8s.io/system-validators (OS, kernel release, kernel config,
 * cgroups) with its DefaultSysSpec. The same spec and messages here, read through host.system.
 *
 * cgroup mode: a cgroup2 filesystem on /sys/fs/cgroup is v2; v1 hierarchies (also "hybrid", v1
 * controllers plus a cgroup2 mount at /sys/fs/cgroup/unified) are v1. kubeadm instead takes the
 * first cgroup2 mount, which on a hybrid host is the nearly empty unified hierarchy.
 */
import { gunzipSync } from 'node:zlib';
import type { SystemProbe } from '../../host/index.js';
import type { Check, CheckResult } from '../types.js';

/** DefaultSysSpec (system-validators types_unix.go). */
export const SYS_SPEC = {
  kernelVersions: [/^5\.4.*$/, /^5\.10.*$/, /^5\.15.*$/, /^([6-9]|[1-9][0-9]+)\.([0-9]+)\.([0-9]+).*$/],
  kernelVersionsNote:
    'Supported LTS versions from the 5.x series are 5.4, 5.10 and 5.15. Any 6.x version is also supported. For cgroups v2 support, the recommended version is 5.10 or newer',
  kernelRequired: [
    'NAMESPACES', 'NET_NS', 'PID_NS', 'IPC_NS', 'UTS_NS', 'CGROUPS', 'CGROUP_BPF', 'CGROUP_CPUACCT', 'CGROUP_DEVICE',
    'CGROUP_FREEZER', 'CGROUP_PIDS', 'CGROUP_SCHED', 'CPUSETS', 'MEMCG', 'INET', 'EXT4_FS', 'PROC_FS',
    'NETFILTER_XT_TARGET_REDIRECT|IP_NF_TARGET_REDIRECT', 'NETFILTER_XT_MATCH_COMMENT', 'FAIR_GROUP_SCHED',
  ],
  cgroupsV1: ['cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'],
  cgroupsV1Optional: ['hugetlb', 'blkio'],
  cgroupsV2: ['cpu', 'cpuset', 'devices', 'freezer', 'memory', 'pids'],
  cgroupsV2Optional: ['hugetlb', 'io'],
} as const;

export type CgroupMode = { version: 1; hybrid: boolean } | { version: 2; mountpoint: string };

/** The cgroup mode from the text of /proc/mounts; undefined when no cgroup filesystem is mounted. */
export function detectCgroupMode(mounts: string): CgroupMode | undefined {
  const entries = mounts.split('\n').map((line) => line.trim().split(/\s+/)).filter((f) => f.length >= 3);
  const v2 = entries.filter((f) => f[2] === 'cgroup2').map((f) => f[1]!);
  const v1 = entries.filter((f) => f[2] === 'cgroup');
  if (v2.includes('/sys/fs/cgroup')) return { version: 2, mountpoint: '/sys/fs/cgroup' };
  if (v1.length > 0) return { version: 1, hybrid: v2.length > 0 };
  return v2[0] ? { version: 2, mountpoint: v2[0] } : undefined;
}

/** Controllers enabled in cgroup v1: rows of /proc/cgroups whose `enabled` column is not 0. */
export function parseProcCgroups(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 4 && fields[3] !== '0')
    .map((fields) => fields[0]!);
}

function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const match = /^(\d+)\.(\d+)/.exec(release);
  if (!match) return false;
  const [m, n] = [Number(match[1]), Number(match[2])];
  return m > major || (m === major && n >= minor);
}

function compareCgroups(required: readonly string[], optional: readonly string[], found: string[]): CheckResult {
  const have = new Set(found);
  const missing = required.filter((c) => !have.has(c));
  const missingOptional = optional.filter((c) => !have.has(c));
  return {
    errors: missing.length ? [`missing required cgroups: ${missing.join(' ')}`] : [],
    warnings: missingOptional.length ? [`missing optional cgroups: ${missingOptional.join(' ')}`] : [],
    info: [...required, ...optional].map((c) => `CGROUPS_${c.toUpperCase()}: ${have.has(c) ? 'enabled' : 'missing'}`),
  };
}

export async function validateCgroups(system: SystemProbe): Promise<CheckResult> {
  const mounts = await system.readSystemFile('/proc/mounts');
  const mode = mounts === undefined ? { version: 2 as const, mountpoint: '/sys/fs/cgroup' } : detectCgroupMode(mounts);
  if (!mode) return { errors: ['no cgroup filesystem is mounted (see /proc/mounts)'], warnings: [] };
  if (mode.version === 2) {
    const controllers = await system.readSystemFile(`${mode.mountpoint}/cgroup.controllers`);
    if (controllers === undefined) {
      return { errors: [`failed to get cgroups v2 subsystems: cannot read ${mode.mountpoint}/cgroup.controllers`], warnings: [] };
    }
    // devices is implicit in v2; freezer is there from kernel 5.2 (cgroup.freeze), as the validators assume
    const implicit = ['devices', ...(kernelAtLeast(system.kernelRelease(), 5, 2) ? ['freezer'] : [])];
    const result = compareCgroups(SYS_SPEC.cgroupsV2, SYS_SPEC.cgroupsV2Optional, [...implicit, ...controllers.trim().split(/\s+/)]);
    return { ...result, info: [`CGROUPS: v2 (${mode.mountpoint})`, ...(result.info ?? [])] };
  }
  const table = await system.readSystemFile('/proc/cgroups');
  if (table === undefined) return { errors: ['failed to get cgroups v1 subsystems: cannot read /proc/cgroups'], warnings: [] };
  const result = compareCgroups(SYS_SPEC.cgroupsV1, SYS_SPEC.cgroupsV1Optional, parseProcCgroups(table));
  return {
    errors: result.errors,
    warnings: ['cgroups v1 support is in maintenance mode, please migrate to cgroups v2', ...result.warnings],
    info: [`CGROUPS: v1${mode.hybrid ? ' (hybrid: v1 controllers, cgroup2 mounted beside them)' : ''}`, ...(result.info ?? [])],
  };
}

/** `CONFIG_X=y|m|n` lines of a kernel config. */
export function parseKernelConfig(text: string): Map<string, string> {
  const config = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(CONFIG_[A-Z0-9_]+)=([myn])/.exec(line.trim());
    if (match) config.set(match[1]!, match[2]!);
  }
  return config;
}

function kernelConfigPaths(release: string): string[] {
  return [
    '/proc/config.gz', `/boot/config-${release}`, `/usr/src/linux-${release}/.config`, '/usr/src/linux/.config',
    `/usr/lib/modules/${release}/config`, `/usr/lib/ostree-boot/config-${release}`, `/usr/lib/kernel/config-${release}`,
    `/usr/src/linux-headers-${release}/.config`, `/lib/modules/${release}/build/.config`,
  ];
}

async function readKernelConfig(system: SystemProbe, release: string): Promise<string | undefined> {
  for (const path of kernelConfigPaths(release)) {
    const bytes = await system.readSystemFileBytes(path);
    if (bytes === undefined) continue;
    return path.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  }
  return undefined;
}

/**
 * Required kernel options. A kernel whose config cannot be found is a warning, not kubeadm's
 * error: the bundled agent runs plain processes and needs none of these container features.
 */
export async function validateKernel(system: SystemProbe): Promise<CheckResult> {
  const release = system.kernelRelease();
  const result: CheckResult = { errors: [], warnings: [], info: [`KERNEL_VERSION: ${release}`] };
  if (!SYS_SPEC.kernelVersions.some((re) => re.test(release))) {
    result.errors.push(`unsupported kernel release: ${release}`);
    result.info!.push(`KERNEL_VERSION_NOTE: ${SYS_SPEC.kernelVersionsNote}`);
  }
  let configText: string | undefined;
  try {
    configText = await readKernelConfig(system, release);
  } catch (err) {
    result.warnings.push(`failed to parse kernel config: ${(err as Error).message}`);
    return result;
  }
  if (configText === undefined) {
    result.warnings.push(`failed to parse kernel config: no config path in [${kernelConfigPaths(release).join(' ')}] is available`);
    return result;
  }
  const config = parseKernelConfig(configText);
  const bad = SYS_SPEC.kernelRequired
    .map((names) => names.split('|').map((n) => `CONFIG_${n}`))
    .filter((aliases) => !aliases.some((name) => config.get(name) === 'y' || config.get(name) === 'm'))
    .map((aliases) => aliases[0]!);
  if (bad.length) result.errors.push(`unexpected kernel config: ${bad.join(' ')}`);
  return result;
}

export function systemVerificationCheck(): Check {
  return {
    name: 'SystemVerification',
    fix: 'use a Linux kernel 5.4+ (or any 6.x) with the cpu, cpuset, memory and pids cgroup controllers enabled',
    async run({ host }) {
      const os = host.system.osType();
      if (os !== 'Linux') return { errors: [`unsupported operating system: ${os}`], warnings: [], info: [`OS: ${os}`] };
      const parts = await Promise.all([validateKernel(host.system), validateCgroups(host.system)]);
      return {
        errors: parts.flatMap((p) => p.errors),
        warnings: parts.flatMap((p) => p.warnings),
        info: [`OS: ${os}`, ...parts.flatMap((p) => p.info ?? [])],
      };
    },
  };
}
