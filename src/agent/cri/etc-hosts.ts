/**
 * The kubelet-managed /etc/hosts of a pod (pkg/kubelet/kubelet_pods.go): localhost lines, the
 * pod's own name — `<ip> <hostname>.<subdomain>.<ns>.svc.<domain> <hostname>` when the pod has
 * a subdomain (a StatefulSet's pods behind their headless Service), `<ip> <hostname>` otherwise —
 * and the pod's hostAliases. Host-network pods keep the node's file. Pure.
 */
import type { Pod } from '../pod.js';

interface HostAlias {
  ip: string;
  hostnames?: string[];
}

/** The pod's hostname as the kubelet sets it: spec.hostname, else the pod name cut to 63 characters. */
export function podHostname(pod: Pod): string {
  const hostname = typeof pod.spec.hostname === 'string' && pod.spec.hostname ? pod.spec.hostname : pod.metadata.name.slice(0, 63);
  return hostname.replace(/[-.]+$/, '');
}

/** `<subdomain>.<ns>.svc.<domain>` when the pod has a subdomain. */
export function podHostDomain(pod: Pod, clusterDomain: string): string | undefined {
  const subdomain = (pod.spec as { subdomain?: string }).subdomain;
  return subdomain && clusterDomain ? `${subdomain}.${pod.metadata.namespace}.svc.${clusterDomain.replace(/\.$/, '')}` : undefined;
}

export function managedHostsFile(pod: Pod, podIPs: string[], clusterDomain: string): string {
  const hostname = podHostname(pod);
  const domain = podHostDomain(pod, clusterDomain);
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...podIPs.map((ip) => (domain ? `${ip}\t${hostname}.${domain}\t${hostname}` : `${ip}\t${hostname}`)),
  ];
  const aliases = ((pod.spec as { hostAliases?: HostAlias[] }).hostAliases ?? []).filter((a) => a.hostnames?.length);
  if (aliases.length) lines.push('', '# Entries added by HostAliases.', ...aliases.map((a) => `${a.ip}\t${a.hostnames!.join('\t')}`));
  return `${lines.join('\n')}\n`;
}
