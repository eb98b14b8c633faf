/**
 * Reads the kubeconfig a component is given (kubeadm's controller-manager.conf/scheduler.conf,
 * with embedded client cert/key and CA) into a KubeClientConfig. File references
 * (`certificate-authority`, `client-certificate`, `client-key`) resolve against the
 * kubeconfig's directory through `readFile`. The lead swaps this for src/kubeconfig at merge.
 */
import path from 'node:path';
import yaml from 'js-yaml';
import { validationError } from '../../errors.js';
import type { KubeClientConfig } from '../../kube/index.js';

interface Kubeconfig {
  'current-context'?: string;
  clusters?: Array<{ name: string; cluster?: Record<string, string> }>;
  contexts?: Array<{ name: string; context?: { cluster?: string; user?: string } }>;
  users?: Array<{ name: string; user?: Record<string, string> }>;
}

export async function kubeClientConfigFromKubeconfig(text: string, file: string, readFile: (path: string) => Promise<Buffer>): Promise<KubeClientConfig> {
  const invalid = (why: string) => validationError('KF_KUBECONFIG_INVALID', `${file} is not a usable kubeconfig: ${why}`, { hint: 'regenerate it with `kubeforge init phase kubeconfig`' });
  let doc: Kubeconfig;
  try {
    doc = yaml.load(text) as Kubeconfig;
  } catch (err) {
    throw invalid(`YAML error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (!doc || typeof doc !== 'object') throw invalid('it is empty');
  const contexts = doc.contexts ?? [];
  const context = (doc['current-context'] ? contexts.find((c) => c.name === doc['current-context']) : contexts.length === 1 ? contexts[0] : undefined)?.context;
  if (!context) throw invalid(`no context "${doc['current-context'] ?? ''}"`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw invalid(`no cluster "${context.cluster ?? ''}" with a server`);
  const user = doc.users?.find((u) => u.name === context.user)?.user ?? {};
  const dir = path.dirname(file);
  const material = async (data: string | undefined, ref: string | undefined): Promise<Buffer | undefined> => {
    if (data) return Buffer.from(data, 'base64');
    if (ref) return readFile(path.isAbsolute(ref) ? ref : path.join(dir, ref));
    return undefined;
  };
  const ca = await material(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (!ca) throw invalid('the cluster has no certificate-authority(-data)');
  const cert = await material(user['client-certificate-data'], user['client-certificate']);
  const key = await material(user['client-key-data'], user['client-key']);
  if (!user.token && !(cert && key)) throw invalid('the user has neither a client certificate and key nor a token');
  return { server: cluster.server, ca, cert, key, token: user.token };
}
