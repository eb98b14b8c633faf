/**
 * What the CIS checks look at, gathered once from a node's root (the only side effects of
 * `check cis`): the flags in the static-pod manifests (where kube-bench reads `ps -ef`, kubeforge
 * reads the manifests the agent runs the components from), the modes and owners of the files
 * CIS names, the kubelet configuration, and the providers of the encryption configuration.
 */
import path from 'node:path';
import yaml from 'js-yaml';
import type { Accounts, FileStat, Host } from '../host/index.js';
import { KUBELET_DIR, KUBERNETES_DIR, MANIFESTS_DIR, PKI_DIR } from '../host/index.js';

export type Component = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'etcd';
export const COMPONENTS: readonly Component[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];

export interface FileFact {
  /** The logical path (as on a real node). */
  path: string;
  stat: FileStat | undefined;
}

export interface NodeFacts {
  /** The component's flags from its manifest (last instance wins, as pflag); undefined without a manifest. */
  flags: Partial<Record<Component, Map<string, string>>>;
  files: Map<string, FileFact>;
  /** Every file and directory under the PKI dir. */
  pki: FileFact[];
  /** /var/lib/kubelet/config.yaml, parsed; undefined when the node has none. */
  kubelet: Record<string, unknown> | undefined;
  /** The first provider of each resources entry of --encryption-provider-config. */
  encryptionProviders: string[] | undefined;
  accounts: Accounts;
  /** A root other than `/` run by a user other than root: its files belong to that user. */
  unprivilegedRoot: boolean;
}

export const KUBELET_CONFIG = `${KUBELET_DIR}/config.yaml`;
export const KUBELET_KUBECONFIG = `${KUBERNETES_DIR}/kubelet.conf`;
export const AGENT_UNIT = '/etc/systemd/system/kubeforge-agent.service';
export const KUBECONFIGS = ['admin.conf', 'super-admin.conf', 'scheduler.conf', 'controller-manager.conf'].map((f) => `${KUBERNETES_DIR}/${f}`);

export const manifestPath = (component: Component) => `${MANIFESTS_DIR}/${component}.yaml`;

function parseCommand(text: string): Map<string, string> {
  const pod = yaml.load(text) as { spec?: { containers?: Array<{ command?: unknown; args?: unknown }> } } | undefined;
  const container = pod?.spec?.containers?.[0];
  const argv = [...(Array.isArray(container?.command) ? container.command : []), ...(Array.isArray(container?.args) ? container.args : [])];
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = typeof arg === 'string' ? /^--([^=]+)(?:=(.*))?$/s.exec(arg) : null;
    if (match) flags.set(match[1] as string, match[2] ?? 'true');
  }
  return flags;
}

async function walk(host: Host, dir: string): Promise<FileFact[]> {
  const out: FileFact[] = [];
  for (const name of await host.files.list(dir)) {
    const file = path.posix.join(dir, name);
    const stat = await host.files.stat(file);
    out.push({ path: file, stat });
    if (stat?.isDirectory) out.push(...(await walk(host, file)));
  }
  return out;
}

function providers(text: string): string[] {
  const doc = yaml.load(text) as { resources?: Array<{ providers?: Array<Record<string, unknown>> }> } | undefined;
  return (doc?.resources ?? []).map((r) => Object.keys(r.providers?.[0] ?? {})[0] ?? '');
}

export async function gatherFacts(host: Host, accounts: Accounts): Promise<NodeFacts> {
  const flags: NodeFacts['flags'] = {};
  for (const component of COMPONENTS) {
    const text = await host.files.tryReadFile(manifestPath(component));
    if (text) flags[component] = parseCommand(text.toString('utf8'));
  }
  const dataDir = flags.etcd?.get('data-dir');
  const logical = [...COMPONENTS.map(manifestPath), ...KUBECONFIGS, KUBELET_CONFIG, KUBELET_KUBECONFIG, AGENT_UNIT, ...(dataDir ? [dataDir] : [])];
  const clientCA = readKubeletClientCA(await host.files.tryReadFile(KUBELET_CONFIG));
  if (clientCA.file) logical.push(clientCA.file);
  const files = new Map<string, FileFact>();
  for (const file of logical) files.set(file, { path: file, stat: await host.files.stat(file) });
  const encryptionFile = flags['kube-apiserver']?.get('encryption-provider-config');
  const encryption = encryptionFile ? await host.files.tryReadFile(encryptionFile) : undefined;
  return {
    flags,
    files,
    pki: await walk(host, PKI_DIR),
    kubelet: clientCA.config,
    encryptionProviders: encryption ? providers(encryption.toString('utf8')) : undefined,
    accounts,
    unprivilegedRoot: host.files.root !== '/' && accounts.self.uid !== 0,
  };
}

function readKubeletClientCA(text: Buffer | undefined): { config?: Record<string, unknown>; file?: string } {
  if (!text) return {};
  const config = yaml.load(text.toString('utf8')) as Record<string, unknown>;
  const file = (config?.authentication as { x509?: { clientCAFile?: unknown } } | undefined)?.x509?.clientCAFile;
  return { config, ...(typeof file === 'string' && file !== '' ? { file } : {}) };
}
