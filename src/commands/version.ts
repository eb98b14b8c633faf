/** `kubeforge version`: the tool's version and the Kubernetes release it targets. */
import { readFileSync } from 'node:fs';
import { KUBERNETES_VERSION } from '../config/defaults.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  kubernetesVersion: string;
  nodeVersion: string;
  compiler: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const [major = '0', minor = '0'] = pkg.version.split('.');
  return {
    major,
    minor,
    gitVersion: `v${pkg.version}`,
    kubernetesVersion: KUBERNETES_VERSION,
    nodeVersion: process.version,
    compiler: 'node',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

/** kubeadm's plain form: `kubeadm version: &version.Info{Major:"1", ...}`. */
export function formatVersionText(info: VersionInfo): string {
  const fields = Object.entries(info).map(([k, v]) => `${k[0]!.toUpperCase()}${k.slice(1)}:"${v}"`);
  return `kubeforge version: &version.Info{${fields.join(', ')}}\n`;
}
