/**
 * kubeadm's SAN builders (pkiutil.GetAPIServerAltNames, getAltNames for etcd): config → the DNS
 * names and IPs a serving certificate is signed for, deduplicated as kubeadm does (DNS names
 * sorted, IPs in first-seen order).
 */
import type { InitConfig } from '../config/types.js';
import { validationError } from '../errors.js';
import type { AltNames } from './certificate.js';
import { canonicalIP, indexedIP, isDNS1123Subdomain, isWildcardDNS1123Subdomain, parseHostPort } from './netaddr.js';

export interface AltNamesResult extends AltNames {
  /** kubeadm's warnings for extra SANs that are neither an IP nor an RFC 1123 name (they are skipped). */
  warnings: string[];
}

function advertiseAddress(cfg: InitConfig): string {
  const text = cfg.init.localAPIEndpoint.advertiseAddress;
  const ip = canonicalIP(text);
  if (!ip) {
    throw validationError('KF_CONFIG_ADVERTISE_ADDRESS', `localAPIEndpoint.advertiseAddress ${JSON.stringify(text)} is not a valid IP address`, {
      hint: 'set --apiserver-advertise-address (or localAPIEndpoint.advertiseAddress) to an IP address of this node',
    });
  }
  return ip;
}

/** Sorted, deduplicated DNS names; first-seen, deduplicated canonical IPs (kubeadm's RemoveDuplicateAltNames). */
function finish(dnsNames: string[], ips: string[], warnings: string[]): AltNamesResult {
  return { dnsNames: [...new Set(dnsNames)].sort(), ips: [...new Set(ips)], warnings };
}

function appendExtraSANs(dnsNames: string[], ips: string[], warnings: string[], sans: string[], certName: string): void {
  for (const san of sans) {
    const ip = canonicalIP(san);
    if (ip) ips.push(ip);
    else if (isDNS1123Subdomain(san) || isWildcardDNS1123Subdomain(san)) dnsNames.push(san);
    else warnings.push(`[certificates] WARNING: '${san}' was not added to the '${certName}' SAN, because it is not a valid IP or RFC-1123 compliant DNS entry`);
  }
}

/** The service subnet's first address (10.96.0.1 for 10.96.0.0/12); dual-stack lists use the first subnet. */
export function apiServerServiceIP(serviceSubnet: string): string {
  const first = serviceSubnet.split(',')[0] ?? '';
  const ip = indexedIP(first, 1);
  if (!ip) {
    throw validationError('KF_CONFIG_SERVICE_SUBNET', `networking.serviceSubnet ${JSON.stringify(serviceSubnet)} is not a valid CIDR`, {
      hint: 'use a CIDR such as 10.96.0.0/12 (--service-cidr)',
    });
  }
  return ip;
}

export function apiServerAltNames(cfg: InitConfig): AltNamesResult {
  const { cluster } = cfg;
  const dnsNames = [
    cfg.init.nodeRegistration.name,
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${cluster.networking.dnsDomain}`,
  ];
  const ips = [apiServerServiceIP(cluster.networking.serviceSubnet), advertiseAddress(cfg)];
  if (cluster.controlPlaneEndpoint) {
    const endpoint = parseHostPort(cluster.controlPlaneEndpoint);
    if (!endpoint) {
      throw validationError('KF_CONFIG_CONTROL_PLANE_ENDPOINT', `controlPlaneEndpoint ${JSON.stringify(cluster.controlPlaneEndpoint)} is not a valid host[:port]`, {
        hint: 'use an IP address or an RFC 1123 DNS name, optionally with a port between 1 and 65535',
      });
    }
    const ip = canonicalIP(endpoint.host);
    if (ip) ips.push(ip);
    else dnsNames.push(endpoint.host);
  }
  const warnings: string[] = [];
  appendExtraSANs(dnsNames, ips, warnings, cluster.apiServer.certSANs, 'apiserver');
  return finish(dnsNames, ips, warnings);
}

function etcdAltNames(cfg: InitConfig, certName: 'etcd/server' | 'etcd/peer'): AltNamesResult {
  const dnsNames = [cfg.init.nodeRegistration.name, 'localhost'];
  const ips = [advertiseAddress(cfg), '127.0.0.1', '::1'];
  const warnings: string[] = [];
  const local = cfg.cluster.etcd.local;
  if (local) appendExtraSANs(dnsNames, ips, warnings, certName === 'etcd/server' ? local.serverCertSANs : local.peerCertSANs, certName);
  return finish(dnsNames, ips, warnings);
}

export const etcdServerAltNames = (cfg: InitConfig): AltNamesResult => etcdAltNames(cfg, 'etcd/server');
export const etcdPeerAltNames = (cfg: InitConfig): AltNamesResult => etcdAltNames(cfg, 'etcd/peer');
