/**
 * `kubeforge images import|list` (the node's runtime, as `ctr -n k8s.io images import` and
 * `crictl images`) and `kubeforge config images list` (what a cluster needs, as kubeadm's).
 * The runtime endpoint is the one init/join recorded in kubeadm-flags.env, or --cri-socket.
 */
import { CriClient, criSocketPath, importImageArchives, parseKubeletFlagsEnv, PAUSE_IMAGE, type VersionInfo } from '../agent/index.js';
import { COREDNS_VERSION, DEFAULT_CRI_SOCKET, DEFAULT_IMAGE_REPOSITORY, ETCD_VERSION, KUBERNETES_VERSION } from '../config/defaults.js';
import { KubeforgeError } from '../errors.js';
import { createHost, type Host } from '../host/index.js';
import { KUBELET_FLAGS_ENV } from '../phases/agent-start.js';

export interface ImagesOptions {
  root: string;
  /** --cri-socket; default: kubeadm-flags.env's --container-runtime-endpoint, else kubeadm's default. */
  criSocket?: string;
}

export interface ImageRow {
  image: string;
  tag: string;
  id: string;
  size: number;
}

async function endpointOf(host: Host, criSocket: string | undefined): Promise<string> {
  if (criSocket) return criSocket;
  const text = await host.files.tryReadFile(KUBELET_FLAGS_ENV);
  return (text && parseKubeletFlagsEnv(text.toString('utf8'))['container-runtime-endpoint']) || DEFAULT_CRI_SOCKET;
}

/** A connected client, or a coded error naming the socket when no runtime answers there. */
async function runtime(host: Host, criSocket: string | undefined): Promise<{ client: CriClient; version: VersionInfo; endpoint: string }> {
  const endpoint = await endpointOf(host, criSocket);
  const client = await CriClient.connect(endpoint);
  try {
    return { client, version: await client.version(), endpoint };
  } catch (err) {
    client.close();
    throw new KubeforgeError('KF_CRI_UNAVAILABLE', `no container runtime answers at ${endpoint}`, {
      cause: err,
      hint: `is the node's agent running (it starts the node's containerd)? Check with ls ${criSocketPath(endpoint)}, or pass --cri-socket`,
    });
  }
}

export async function runImagesImport(options: ImagesOptions & { files: string[] }): Promise<{ file: string; images: string[] }[]> {
  const host = createHost(options.root);
  const { client, endpoint } = await runtime(host, options.criSocket);
  client.close();
  return importImageArchives(host, endpoint, options.files);
}

export async function runImagesList(options: ImagesOptions): Promise<ImageRow[]> {
  const host = createHost(options.root);
  const { client } = await runtime(host, options.criSocket);
  try {
    const { images } = await client.call<{ images: { id: string; repoTags: string[]; size: number }[] }>('ListImages', {});
    return images.flatMap((img) =>
      (img.repoTags.length ? img.repoTags : ['<none>:<none>']).map((ref) => {
        const colon = ref.lastIndexOf(':');
        return { image: ref.slice(0, colon), tag: ref.slice(colon + 1), id: img.id.replace(/^sha256:/, '').slice(0, 13), size: img.size };
      }),
    ).sort((a, b) => a.image.localeCompare(b.image) || a.tag.localeCompare(b.tag));
  } finally {
    client.close();
  }
}

/** The images a cluster of this kubeforge needs, in kubeadm's order (`kubeadm config images list`). */
export function clusterImages(kubernetesVersion = KUBERNETES_VERSION, repository = DEFAULT_IMAGE_REPOSITORY): string[] {
  const version = kubernetesVersion.startsWith('v') ? kubernetesVersion : `v${kubernetesVersion}`;
  return [
    ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((c) => `${repository}/${c}:${version}`),
    `${repository}/coredns/coredns:${COREDNS_VERSION}`,
    repository === DEFAULT_IMAGE_REPOSITORY ? PAUSE_IMAGE : PAUSE_IMAGE.replace(DEFAULT_IMAGE_REPOSITORY, repository),
    `${repository}/etcd:${ETCD_VERSION}`,
  ];
}
