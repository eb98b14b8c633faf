import { afterEach, describe, expect, it } from 'vitest';
import { GiB } from '../../host/fake-system.js';
import { cleanupFakeHosts, fakeHost, runCheck, type TestHost } from '../../../test/helpers/fake-host.js';
import { isPrivilegedUserCheck, kubernetesVersionCheck, memCheck, numCPUCheck, swapCheck } from './resources.js';

let host: TestHost;
afterEach(cleanupFakeHosts);

describe('NumCPU', () => {
  it('passes with 2 CPUs', async () => {
    host = fakeHost({ cpuCount: 2 });
    expect(await runCheck(numCPUCheck(), host)).toEqual({ errors: [], warnings: [] });
  });

  it('fails with 1 CPU, in kubeadm words', async () => {
    host = fakeHost({ cpuCount: 1 });
    expect((await runCheck(numCPUCheck(), host)).errors).toEqual(['the number of available CPUs 1 is less than the required 2']);
  });
});

describe('Mem', () => {
  it('passes with 1700 MB', async () => {
    host = fakeHost({ memoryBytes: 1700 * 1024 * 1024 });
    expect((await runCheck(memCheck(), host)).errors).toEqual([]);
  });

  it('fails below 1700 MB, in kubeadm words', async () => {
    host = fakeHost({ memoryBytes: 1 * GiB });
    expect((await runCheck(memCheck(), host)).errors).toEqual(['the system RAM (1024 MB) is less than the minimum 1700 MB']);
  });
});

describe('Swap', () => {
  it('passes when /proc/swaps has only its header', async () => {
    host = fakeHost();
    expect(await runCheck(swapCheck(), host)).toEqual({ errors: [], warnings: [] });
  });

  it('warns (never fails) when a swap device is on', async () => {
    host = fakeHost();
    host.system.state.files.set('/proc/swaps', 'Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1048572 0 -2\n');
    const result = await runCheck(swapCheck(), host);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([expect.stringMatching(/^swap is supported for cgroup v2 only\. The kubelet must be properly configured/)]);
  });
});

describe('IsPrivilegedUser', () => {
  it('passes for root', async () => {
    host = fakeHost({ uid: 0 });
    expect((await runCheck(isPrivilegedUserCheck(), host)).errors).toEqual([]);
  });

  it('fails for another user', async () => {
    host = fakeHost({ uid: 1000 });
    expect((await runCheck(isPrivilegedUserCheck(), host)).errors).toEqual(['user is not running as root']);
  });
});

describe('KubernetesVersion', () => {
  it('passes for the release kubeforge targets and older ones', async () => {
    host = fakeHost();
    expect(await runCheck(kubernetesVersionCheck('v1.32.4', 'v1.32.0'), host)).toEqual({ errors: [], warnings: [] });
    expect(await runCheck(kubernetesVersionCheck('v1.31.0', 'v1.32.0'), host)).toEqual({ errors: [], warnings: [] });
  });

  it('warns for a newer minor release', async () => {
    host = fakeHost();
    expect((await runCheck(kubernetesVersionCheck('v1.33.1', 'v1.32.0'), host)).warnings).toEqual([
      'Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. Kubernetes version: 1.33.1. Kubeadm version: 1.32.x',
    ]);
  });

  it('fails for a version it cannot parse', async () => {
    host = fakeHost();
    expect((await runCheck(kubernetesVersionCheck('latest', 'v1.32.0'), host)).errors).toEqual(['couldn\'t parse Kubernetes version "latest"']);
  });
});
