import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupFakeHosts, fakeHost, runCheck, type TestHost } from '../../../test/helpers/fake-host.js';
import { detectCgroupMode, parseProcCgroups, SYS_SPEC, systemVerificationCheck } from './system-verification.js';

afterEach(cleanupFakeHosts);

const FULL_KERNEL_CONFIG = SYS_SPEC.kernelRequired.map((names) => `CONFIG_${names.split('|')[0]}=y`).join('\n');

/** A healthy host with a kernel config at /proc/config.gz. */
function host(): TestHost {
  const h = fakeHost();
  h.system.state.files.set('/proc/config.gz', gzipSync(FULL_KERNEL_CONFIG));
  return h;
}

const V1_MOUNTS = [
  'tmpfs /sys/fs/cgroup tmpfs rw 0 0',
  'cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0',
  'cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0',
].join('\n');

const PROC_CGROUPS = (disabled: string[] = []) =>
  ['#subsys_name\thierarchy\tnum_cgroups\tenabled', ...['cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'hugetlb', 'pids'].map(
    (c, i) => `${c}\t${i + 1}\t1\t${disabled.includes(c) ? 0 : 1}`,
  )].join('\n');

describe('SystemVerification', () => {
  it('passes on cgroup v2 with every required controller and a complete kernel config', async () => {
    const result = await runCheck(systemVerificationCheck(), host());
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.info).toEqual(expect.arrayContaining(['KERNEL_VERSION: 6.1.0-18-amd64', 'CGROUPS: v2 (/sys/fs/cgroup)', 'CGROUPS_MEMORY: enabled', 'CGROUPS_IO: enabled']));
  });

  it('fails on cgroup v2 when memory and pids are not enabled', async () => {
    const h = host();
    h.system.state.files.set('/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io hugetlb\n');
    const result = await runCheck(systemVerificationCheck(), h);
    expect(result.errors).toEqual(['missing required cgroups: memory pids']);
    expect(result.info).toEqual(expect.arrayContaining(['CGROUPS_MEMORY: missing', 'CGROUPS_PIDS: missing', 'CGROUPS_CPU: enabled']));
  });

  it('warns about missing optional v2 controllers without failing', async () => {
    const h = host();
    h.system.state.files.set('/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu memory pids\n');
    const result = await runCheck(systemVerificationCheck(), h);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual(['missing optional cgroups: hugetlb io']);
  });

  it('counts freezer as missing on cgroup v2 before kernel 5.2', async () => {
    const h = host();
    h.system.state.kernelRelease = '5.1.0';
    const result = await runCheck(systemVerificationCheck(), h);
    expect(result.errors).toEqual(['unsupported kernel release: 5.1.0', 'missing required cgroups: freezer']);
  });

  it('passes on a cgroup v1 (hybrid) host with a maintenance-mode warning', async () => {
    const h = host();
    h.system.state.files.set('/proc/mounts', V1_MOUNTS);
    h.system.state.files.set('/proc/cgroups', PROC_CGROUPS());
    const result = await runCheck(systemVerificationCheck(), h);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual(['cgroups v1 support is in maintenance mode, please migrate to cgroups v2']);
    expect(result.info).toContain('CGROUPS: v1 (hybrid: v1 controllers, cgroup2 mounted beside them)');
  });

  it('fails on cgroup v1 when a required controller is disabled', async () => {
    const h = host();
    h.system.state.files.set('/proc/mounts', V1_MOUNTS);
    h.system.state.files.set('/proc/cgroups', PROC_CGROUPS(['pids']));
    expect((await runCheck(systemVerificationCheck(), h)).errors).toEqual(['missing required cgroups: pids']);
  });

  it('fails on an unsupported kernel release', async () => {
    const h = host();
    h.system.state.kernelRelease = '5.3.18-lp152';
    expect((await runCheck(systemVerificationCheck(), h)).errors).toEqual(['unsupported kernel release: 5.3.18-lp152']);
  });

  it('fails when the kernel config lacks a required option (aliases count)', async () => {
    const h = host();
    const config = FULL_KERNEL_CONFIG.replace('CONFIG_MEMCG=y', 'CONFIG_MEMCG=n').replace('CONFIG_NETFILTER_XT_TARGET_REDIRECT=y', 'CONFIG_IP_NF_TARGET_REDIRECT=m');
    h.system.state.files.set('/proc/config.gz', gzipSync(config));
    expect((await runCheck(systemVerificationCheck(), h)).errors).toEqual(['unexpected kernel config: CONFIG_MEMCG']);
  });

  it('reads /boot/config-<release> and only warns when no kernel config is found', async () => {
    const h = fakeHost();
    const result = await runCheck(systemVerificationCheck(), h);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([expect.stringMatching(/^failed to parse kernel config: no config path in \[\/proc\/config.gz \/boot\/config-6.1.0-18-amd64/)]);
    h.system.state.files.set('/boot/config-6.1.0-18-amd64', FULL_KERNEL_CONFIG);
    expect((await runCheck(systemVerificationCheck(), h)).warnings).toEqual([]);
  });

  it('fails on another operating system', async () => {
    const h = host();
    h.system.state.osType = 'Darwin';
    expect((await runCheck(systemVerificationCheck(), h)).errors).toEqual(['unsupported operating system: Darwin']);
  });
});

describe('detectCgroupMode', () => {
  it('tells unified v2, hybrid v1, pure v1 and none apart', () => {
    expect(detectCgroupMode('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0')).toEqual({ version: 2, mountpoint: '/sys/fs/cgroup' });
    expect(detectCgroupMode(V1_MOUNTS)).toEqual({ version: 1, hybrid: true });
    expect(detectCgroupMode('cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0')).toEqual({ version: 1, hybrid: false });
    expect(detectCgroupMode('proc /proc proc rw 0 0')).toBeUndefined();
  });

  it('lists v1 controllers whose enabled column is not 0', () => {
    expect(parseProcCgroups(PROC_CGROUPS(['hugetlb', 'blkio']))).toEqual(['cpuset', 'cpu', 'cpuacct', 'memory', 'devices', 'freezer', 'pids']);
  });
});
