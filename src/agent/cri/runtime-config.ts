/**
 * The node-private containerd's config.toml and the node's CNI network list, rendered from the
 * layout (real paths) as pure text. containerd 1.6 reads config version 2.
 */
import { PAUSE_IMAGE, type NodeRuntimeLayout } from './layout.js';

export interface RuntimeConfigInput {
  layout: NodeRuntimeLayout;
  /** Real path of a logical one. */
  resolve(logical: string): string;
  /** The node's address: the CRI streaming server (exec, attach, port-forward) binds it. */
  nodeIP: string;
  cniBinDir: string;
}

const toml = (value: string) => JSON.stringify(value);

export function containerdConfig({ layout, resolve, nodeIP, cniBinDir }: RuntimeConfigInput): string {
  return [
    '# Written by kubeforge: the node-private containerd (see kubeforge reset).',
    'version = 2',
    `root = ${toml(resolve(layout.rootDir))}`,
    `state = ${toml(resolve(layout.stateDir))}`,
    '',
    '[grpc]',
    `  address = ${toml(resolve(layout.socket))}`,
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${toml(resolve(`${layout.rootDir}/opt`))}`,
    '',
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${toml(PAUSE_IMAGE)}`,
    `  stream_server_address = ${toml(nodeIP)}`,
    '  stream_server_port = "0"',
    '  enable_tls_streaming = false',
    '  disable_apparmor = true',
    '  restrict_oom_score_adj = true',
    // Each node's network namespaces live under its own state dir, so reset finds exactly its own.
    '  netns_mounts_under_state_dir = true',
    '  [plugins."io.containerd.grpc.v1.cri".containerd]',
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    // runc's state per node (the shim's default, /run/containerd/runc, is shared by every containerd).
    '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    `        Root = ${toml(resolve(`${layout.stateDir}/runc`))}`,
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = ${toml(cniBinDir)}`,
    `    conf_dir = ${toml(resolve(layout.cniConfDir))}`,
    '    max_conf_num = 1',
    '',
  ].join('\n');
}

/**
 * The node's pod network: a bridge with host-local IPAM over the node's podCIDR (its state under
 * the node's root), loopback comes from the CRI plugin, portmap serves hostPort. The bridge is the
 * pods' gateway, so traffic between nodes' bridges is routed by the host.
 */
export function cniConfList(layout: NodeRuntimeLayout, resolve: (logical: string) => string, podCIDR: string): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: layout.networkName,
      plugins: [
        {
          type: 'bridge',
          bridge: layout.bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: podCIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: resolve(`${layout.cniDataDir}/networks`) },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** The conflist's file name; one per node, so max_conf_num = 1 picks it. */
export const CNI_CONFLIST = '10-kubeforge.conflist';
