/**
 * The loopback rule: where a node's "localhost" is.
 *
 * kubeadm binds or dials 127.0.0.1 (::1 for IPv6) for everything that should stay on the node:
 * etcd's client and metrics URLs, the API server's `--etcd-servers`, the controller manager's and
 * scheduler's `--bind-address`, their probe hosts and the kubelet's healthz address. Several
 * kubeforge nodes share one machine, each on its own loopback address (127.0.0.2, 127.0.0.3, ...),
 * so their 127.0.0.1 would collide. A node whose advertise address is a loopback address therefore
 * uses that address as its localhost, and components that kubeadm leaves on the wildcard address
 * (the API server's `--bind-address`, the kubelet's `address`) bind only that address too.
 * A node with a routable advertise address gets exactly kubeadm's values.
 *
 * `nodeAddresses` is the only place that decides this; every renderer reads its result.
 */
import net from 'node:net';

export interface NodeAddresses {
  /** The advertise address from `localAPIEndpoint`. */
  advertise: string;
  /** What this node uses wherever kubeadm uses 127.0.0.1 / ::1. */
  localhost: string;
  /**
   * The address a component that kubeadm binds on all interfaces binds instead, or undefined for
   * kubeadm's default (all interfaces). Set only for loopback advertise addresses.
   */
  bindAddress: string | undefined;
  ipv6: boolean;
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopbackAddress(address: string): boolean {
  if (net.isIPv4(address)) return address.split('.')[0] === '127';
  if (net.isIPv6(address)) return expandIPv6(address) === '0000:0000:0000:0000:0000:0000:0000:0001';
  return false;
}

export function nodeAddresses(advertiseAddress: string): NodeAddresses {
  const ipv6 = net.isIPv6(advertiseAddress);
  const loopback = isLoopbackAddress(advertiseAddress);
  return {
    advertise: advertiseAddress,
    localhost: loopback ? advertiseAddress : ipv6 ? '::1' : '127.0.0.1',
    bindAddress: loopback ? advertiseAddress : undefined,
    ipv6,
  };
}

/** Go's net.JoinHostPort: brackets IPv6 hosts. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A comma-separated URL list without repeats, first occurrence first. */
export function urlList(urls: string[]): string {
  return [...new Set(urls)].join(',');
}

function expandIPv6(address: string): string {
  const [head = '', tail = ''] = address.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const fill = address.includes('::') ? 8 - headParts.length - tailParts.length : 0;
  return [...headParts, ...Array<string>(fill).fill('0'), ...tailParts].map((p) => p.padStart(4, '0')).join(':');
}
