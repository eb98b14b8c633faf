/**
 * This node's stacked etcd as its static-pod manifest describes it: the client URL kubeadm
 * annotates (`kubeadm.kubernetes.io/etcd.advertise-client-urls`), the member name and the data
 * dir. Reading the manifest rather than the config keeps `reset`, `etcd member list` and
 * `etcd snapshot save` right for a node whichever way it was set up.
 */
import { KubeforgeError } from '../errors.js';
import type { FileHost } from '../host/index.js';

export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
export const ETCD_CLIENT_URLS_ANNOTATION = 'kubeadm.kubernetes.io/etcd.advertise-client-urls';

export interface LocalEtcd {
  clientURL: string;
  name: string;
  peerURL: string;
  dataDir: string;
}

interface ManifestShape {
  metadata?: { annotations?: Record<string, string> };
  spec?: { containers?: Array<{ command?: string[] }> };
}

/** The parts of an etcd manifest's text that say where the member is; undefined when it is not one. */
export async function parseEtcdManifest(text: string): Promise<LocalEtcd | undefined> {
  const { load } = await import('js-yaml');
  const pod = load(text) as ManifestShape | undefined;
  const command = pod?.spec?.containers?.[0]?.command ?? [];
  const flag = (name: string) => command.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const clientURL = pod?.metadata?.annotations?.[ETCD_CLIENT_URLS_ANNOTATION] ?? flag('advertise-client-urls')?.split(',')[0];
  const name = flag('name');
  const peerURL = flag('initial-advertise-peer-urls')?.split(',')[0];
  if (!clientURL || !name || !peerURL) return undefined;
  return { clientURL, name, peerURL, dataDir: flag('data-dir') ?? '/var/lib/etcd' };
}

/** This node's etcd; undefined when the node runs none (a worker, or external etcd). */
export async function readLocalEtcd(files: FileHost): Promise<LocalEtcd | undefined> {
  const text = await files.tryReadFile(ETCD_MANIFEST);
  return text ? parseEtcdManifest(text.toString('utf8')) : undefined;
}

export async function requireLocalEtcd(files: FileHost): Promise<LocalEtcd> {
  const local = await readLocalEtcd(files);
  if (!local) {
    throw new KubeforgeError('KF_ETCD_NOT_LOCAL', `${files.resolve(ETCD_MANIFEST)} is missing or is not an etcd manifest: this node runs no stacked etcd member`, {
      hint: 'run this on a control-plane node (kubeforge init or join --control-plane) with the same --root',
    });
  }
  return local;
}
