/** Name resolution and proxies: Hostname, HTTPProxy, HTTPProxyCIDR (all warnings, as in kubeadm). */
import { indexedIP, isIPv6, parseCIDR } from '../ip.js';
import { httpsProxyFor } from '../proxy.js';
import { fail, ok, warn, type Check, type CheckResult } from '../types.js';

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_ERROR =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** apimachinery's IsQualifiedName for a name without a prefix (node names never have one). */
export function qualifiedNameErrors(name: string): string[] {
  if (name.length === 0) return ['name part must be non-empty', QUALIFIED_NAME_ERROR];
  const errors: string[] = [];
  if (name.length > 63) errors.push('name part must be no more than 63 characters');
  if (!QUALIFIED_NAME.test(name)) errors.push(QUALIFIED_NAME_ERROR);
  return errors;
}

export function hostnameCheck(nodeName: string): Check {
  return {
    name: 'Hostname',
    fix: `make "${nodeName}" resolvable (e.g. a line in /etc/hosts) or choose another --node-name`,
    async run({ host }): Promise<CheckResult> {
      const warnings = qualifiedNameErrors(nodeName).map((msg) => `invalid node name format "${nodeName}": ${msg}`);
      try {
        const addresses = await host.system.lookupHost(nodeName);
        if (addresses.length === 0) warnings.push(`hostname "${nodeName}" could not be reached`);
        return { errors: [], warnings, info: [`${nodeName} resolves to ${addresses.join(', ')}`] };
      } catch (err) {
        warnings.push(`hostname "${nodeName}" could not be reached`, `hostname "${nodeName}": ${(err as Error).message}`);
        return { errors: [], warnings };
      }
    },
  };
}

const PROXY_FIX = 'add the address to NO_PROXY (and no_proxy), or unset HTTPS_PROXY';

/** Warns when HTTPS to the API server's address would go through a proxy. */
export function httpProxyCheck(address: string): Check {
  return {
    name: 'HTTPProxy',
    fix: PROXY_FIX,
    async run({ host }) {
      // kubeadm builds https://<host> (port 443), and https://[ip6]:1234 for IPv6
      const v6 = isIPv6(address);
      const url = v6 ? `https://[${address}]:1234` : `https://${address}`;
      const proxy = httpsProxyFor(host.system.env(), address, v6 ? '1234' : '443');
      return proxy ? warn(`Connection to "${url}" uses proxy "${proxy}". If that is not intended, adjust your proxy settings`) : ok();
    },
  };
}

/** Warns when HTTPS to the first address of the service or pod subnets would go through a proxy. */
export function httpProxyCIDRCheck(cidrs: string[]): Check {
  return {
    name: 'HTTPProxyCIDR',
    fix: 'add the pod and service subnets to NO_PROXY (and no_proxy)',
    async run({ host }) {
      const result: CheckResult = { errors: [], warnings: [] };
      for (const text of cidrs.map((c) => c.trim()).filter(Boolean)) {
        const cidr = parseCIDR(text);
        if (!cidr) {
          result.errors.push(...fail(`error parsing CIDR "${text}"`).errors);
          continue;
        }
        const proxy = httpsProxyFor(host.system.env(), indexedIP(cidr, 1), '1234');
        if (proxy) {
          result.warnings.push(
            `connection to "${text}" uses proxy "${proxy}". This may lead to malfunctional cluster setup. ` +
              'Make sure that Pod and Services IP ranges specified correctly as exceptions in proxy configuration',
          );
        }
      }
      return result;
    },
  };
}
