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

/** True for 127.0.0.0/8 and ::1 (Go's IP.IsLoopback, IPv4-mapped loopback included). */
export function isLoopbackAddress(address: string): boolean {
  if (net.isIPv4(address)) return address.split('.')[0] === '127';
  if (net.isIPv6(address)) {
    const value = ipToBigInt(address, 6);
    return value === 1n || value >> 24n === 0xffff7fn;
  }
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

/** An IP address (already validated by net.isIP) as a number. */
export function ipToBigInt(ip: string, family: 4 | 6): bigint {
  if (family === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  // A trailing dotted quad (::ffff:1.2.3.4) is two 16-bit groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (dotted) {
    const v4 = ipToBigInt(dotted[2] ?? '', 4);
    ip = `${dotted[1] ?? ''}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = ip.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array<string>(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  return all.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

/** The text of an IP address, IPv6 compressed as Go's net.IP.String does. */
export function bigIntToIp(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.len).join(':')}`;
}
