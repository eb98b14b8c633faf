/** Machine resources and identity: NumCPU, Mem, Swap, IsPrivilegedUser, KubernetesVersion. */
import { fail, ok, warn, type Check } from '../types.js';

/** kubeadm's constants.ControlPlaneNumCPU and ControlPlaneMem (MB). */
export const CONTROL_PLANE_NUM_CPU = 2;
export const CONTROL_PLANE_MEM_MB = 1700;

export function numCPUCheck(required = CONTROL_PLANE_NUM_CPU): Check {
  return {
    name: 'NumCPU',
    fix: `run the control plane on a machine with at least ${required} CPUs`,
    async run({ host }) {
      const actual = host.system.cpuCount();
      return actual < required ? fail(`the number of available CPUs ${actual} is less than the required ${required}`) : ok();
    },
  };
}

export function memCheck(requiredMB = CONTROL_PLANE_MEM_MB): Check {
  return {
    name: 'Mem',
    fix: `run the control plane on a machine with at least ${requiredMB} MB of RAM`,
    async run({ host }) {
      const actual = Math.floor((await host.system.memoryBytes()) / 1024 / 1024);
      return actual < requiredMB ? fail(`the system RAM (${actual} MB) is less than the minimum ${requiredMB} MB`) : ok();
    },
  };
}

const SWAP_WARNING =
  'swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. ' +
  'Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the node';

/** A warning when /proc/swaps lists any swap device (its first line is the header). */
export function swapCheck(): Check {
  return {
    name: 'Swap',
    fix: 'disable swap with `swapoff -a` (and remove it from /etc/fstab)',
    async run({ host }) {
      const swaps = await host.system.readSystemFile('/proc/swaps');
      if (swaps === undefined) return ok();
      const lines = swaps.split('\n').filter((line) => line.trim() !== '');
      return lines.length > 1 ? warn(SWAP_WARNING) : ok();
    },
  };
}

export function isPrivilegedUserCheck(): Check {
  return {
    name: 'IsPrivilegedUser',
    fix: 'run as root (sudo), or relocate the node with --root DIR to run unprivileged',
    async run({ host }) {
      return host.system.uid() !== 0 ? fail('user is not running as root') : ok();
    },
  };
}

interface Semver {
  major: number;
  minor: number;
  patch: number;
}

function parseSemver(version: string): Semver | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) } : undefined;
}

/** Warns when the cluster's version is newer than the minor release kubeforge targets. */
export function kubernetesVersionCheck(kubernetesVersion: string, toolVersion: string): Check {
  return {
    name: 'KubernetesVersion',
    fix: `set kubernetesVersion to ${toolVersion} or an older supported release`,
    async run() {
      const tool = parseSemver(toolVersion);
      const k8s = parseSemver(kubernetesVersion);
      if (!tool) return fail(`couldn't parse kubeadm version "${toolVersion}"`);
      if (!k8s) return fail(`couldn't parse Kubernetes version "${kubernetesVersion}"`);
      const newer = k8s.major > tool.major || (k8s.major === tool.major && k8s.minor > tool.minor);
      if (!newer) return ok();
      return warn(
        `Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. ` +
          `Kubernetes version: ${k8s.major}.${k8s.minor}.${k8s.patch}. Kubeadm version: ${tool.major}.${tool.minor}.x`,
      );
    },
  };
}
