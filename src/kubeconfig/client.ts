/** An API client from a kubeconfig file: the identity and trust of its current context. */
import { KubeforgeError } from '../errors.js';
import type { FileHost, Host } from '../host/index.js';
import { KubeClient, type KubeClientConfig } from '../kube/index.js';
import { currentClusterAndUser, parseKubeconfig } from './kubeconfig.js';

export interface KubeconfigClientOptions {
  /**
   * A certificate store (logical path of one PEM holding certificate and key, the kubelet's
   * kubelet-client-current.pem). When it exists it replaces a client certificate embedded in the
   * kubeconfig, as the kubelet's transport uses its certificate manager's current certificate.
   */
  certificateStore?: string;
}

/**
 * Reads the kubeconfig at `path` (a logical path: under --root) and the files it points to
 * (also under --root), and returns what the API client needs.
 */
export async function kubeClientConfig(files: FileHost, path: string, options: KubeconfigClientOptions = {}): Promise<KubeClientConfig> {
  const text = await files.tryReadFile(path);
  if (!text) {
    throw new KubeforgeError('KF_KUBECONFIG_MISSING', `${files.resolve(path)} does not exist`, {
      hint: 'run `kubeforge init` (or `kubeforge join`) first, with the same --root',
    });
  }
  const { cluster, user } = currentClusterAndUser(parseKubeconfig(text.toString('utf8')));
  const read = async (file: string | undefined) => (file ? (await files.readFile(file)).toString('utf8') : undefined);
  const ca = cluster.certificateAuthorityData ?? (await read(cluster.certificateAuthority));
  if (!ca) throw new KubeforgeError('KF_KUBECONFIG_NO_CA', `${files.resolve(path)} has no certificate authority for cluster "${cluster.name}"`);
  const store = options.certificateStore && user?.clientCertificateData ? (await files.tryReadFile(options.certificateStore))?.toString('utf8') : undefined;
  return {
    server: cluster.server,
    ca,
    cert: store ?? user?.clientCertificateData ?? (await read(user?.clientCertificate)),
    key: store ?? user?.clientKeyData ?? (await read(user?.clientKey)),
    token: user?.token ?? (await read(user?.tokenFile))?.trim(),
    ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
  };
}

export async function loadKubeClient(host: Host, path: string, options: Partial<KubeClientConfig> & KubeconfigClientOptions = {}): Promise<KubeClient> {
  const { certificateStore, ...client } = options;
  return new KubeClient({ ...(await kubeClientConfig(host.files, path, { certificateStore })), ...client });
}
