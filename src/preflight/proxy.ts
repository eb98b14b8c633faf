/**
 * Which proxy an HTTPS request would use, by Go's rules (golang.org/x/net/http/httpproxy), since
 * kubeadm's HTTPProxy checks ask Go's transport: HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy
 * (`*`, CIDRs, IPs, domains with subdomains, optional ports), and never for localhost or a
 * loopback address.
 */
import net from 'node:net';
import { cidrContains, ipEqual, isLoopback, parseCIDR, parseIP } from './ip.js';

type Env = Readonly<Record<string, string | undefined>>;

function getEnvAny(env: Env, ...names: string[]): string {
  for (const name of names) {
    const value = env[name];
    if (value) return value;
  }
  return '';
}

/** Go's parseProxy: a value without a scheme means http://. */
function proxyURL(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value) ? value : `http://${value}`;
}

function splitHostPort(entry: string): { host: string; port: string } | undefined {
  const bracketed = /^\[([^\]]*)\]:(\d*)$/.exec(entry);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2]! };
  const colon = entry.lastIndexOf(':');
  if (colon < 0 || entry.indexOf(':') !== colon) return undefined;
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
}

/** True when NO_PROXY exempts host:port. */
export function noProxyMatches(noProxy: string, host: string, port: string): boolean {
  const hostLower = host.toLowerCase();
  const isIP = parseIP(host) !== undefined;
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const cidr = entry.includes('/') ? parseCIDR(entry) : undefined;
    if (cidr) {
      if (isIP && cidrContains(cidr, host)) return true;
      continue;
    }
    const split = splitHostPort(entry);
    const entryHost = split ? split.host : entry;
    const entryPort = split ? split.port : '';
    if (!entryHost) continue;
    const portMatches = entryPort === '' || entryPort === port;
    if (net.isIP(entryHost)) {
      if (isIP && ipEqual(entryHost, host) && portMatches) return true;
      continue;
    }
    const suffix = entryHost.startsWith('*.') ? entryHost.slice(1) : entryHost.startsWith('.') ? entryHost : `.${entryHost}`;
    const exact = !entryHost.startsWith('.') && !entryHost.startsWith('*.');
    if ((hostLower.endsWith(suffix) || (exact && hostLower === suffix.slice(1))) && portMatches) return true;
  }
  return false;
}

/** The proxy an `https://host:port` request would go through, or undefined for a direct connection. */
export function httpsProxyFor(env: Env, host: string, port = '443'): string | undefined {
  const proxy = getEnvAny(env, 'HTTPS_PROXY', 'https_proxy');
  if (!proxy) return undefined;
  if (host.toLowerCase() === 'localhost' || isLoopback(host)) return undefined;
  if (noProxyMatches(getEnvAny(env, 'NO_PROXY', 'no_proxy'), host, port)) return undefined;
  return proxyURL(proxy);
}
