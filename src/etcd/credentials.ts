/**
 * A control-plane node's etcd client credentials (kubeadm uses the API server's etcd client
 * certificate, pki/apiserver-etcd-client.*, trusted by pki/etcd/ca.crt). Apart from the gRPC
 * client so that etcdctl-driven commands do not load it.
 */
import { KubeforgeError } from '../errors.js';
import type { FileHost } from '../host/index.js';

export interface EtcdCredentials {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export const ETCD_CLIENT_FILES = { ca: 'etcd/ca.crt', cert: 'apiserver-etcd-client.crt', key: 'apiserver-etcd-client.key' } as const;

/** The real paths of a node's etcd client files, for etcdctl. */
export function etcdClientFilePaths(files: FileHost, certificatesDir: string): { ca: string; cert: string; key: string } {
  const at = (name: string) => files.resolve(`${certificatesDir}/${name}`);
  return { ca: at(ETCD_CLIENT_FILES.ca), cert: at(ETCD_CLIENT_FILES.cert), key: at(ETCD_CLIENT_FILES.key) };
}

/** The etcd client credentials of a control-plane node (read from its certificates dir). */
export async function etcdCredentials(files: FileHost, certificatesDir: string): Promise<EtcdCredentials> {
  const read = async (name: string) => {
    const content = await files.tryReadFile(`${certificatesDir}/${name}`);
    if (!content) {
      throw new KubeforgeError('KF_ETCD_NO_CREDENTIALS', `${files.resolve(`${certificatesDir}/${name}`)} is missing: this is not a control-plane node with a stacked etcd`, {
        hint: 'run this on a control-plane node (kubeforge init, or join --control-plane), with the same --root',
      });
    }
    return content;
  };
  return { ca: await read(ETCD_CLIENT_FILES.ca), cert: await read(ETCD_CLIENT_FILES.cert), key: await read(ETCD_CLIENT_FILES.key) };
}

