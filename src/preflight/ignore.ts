/**
 * `--ignore-preflight-errors`: names are case-insensitive (kubeadm lower-cases them), `all`
 * ignores everything and cannot be combined with names, and unknown names are rejected so a
 * typo does not silently ignore nothing.
 */
import { defaultInitConfig } from '../config/defaults.js';
import { validationError } from '../errors.js';
import { initChecks, joinChecks } from './checklist.js';

const ALL_CHECKS = { rootIsSlash: true };

/** Every check name `init` or `join` can run with a default configuration (plus IPv6 and external etcd variants). */
export function preflightCheckNames(kind: 'init' | 'join'): string[] {
  const names =
    kind === 'init'
      ? [
          ...initChecks({ ...defaultInitConfig(), cluster: { ...defaultInitConfig().cluster, networking: { serviceSubnet: '10.96.0.0/12', podSubnet: 'fd00::/64', dnsDomain: 'cluster.local' } } }, ALL_CHECKS),
          ...initChecks({ ...defaultInitConfig(), cluster: { ...defaultInitConfig().cluster, etcd: { external: { endpoints: [], caFile: '/ca', certFile: '', keyFile: '' } } } }, ALL_CHECKS),
        ]
      : [
          ...joinChecks({ nodeName: 'node', criSocket: '', advertiseAddress: '127.0.0.1', discoveryEndpoint: '10.0.0.1:6443' }, ALL_CHECKS),
          ...joinChecks({ nodeName: 'node', criSocket: '', advertiseAddress: '::1', discoveryEndpoint: '[fd00::1]:6443', controlPlane: { bindPort: 6443, localEtcdDataDir: '/var/lib/etcd' } }, ALL_CHECKS),
        ];
  return [...new Set(names.map((check) => check.name))];
}

/** Port-<n> is accepted for any port: the API server's bind port is configurable. */
const PORT_NAME = /^port-(\d{1,5})$/;

/**
 * Validates the names (flag and config file together) and returns them in their canonical
 * spelling, or 'all'. `known` defaults to every init and join check name; a command may pass
 * the names of the checks it is about to run.
 */
export function parseIgnorePreflightErrors(
  list: string[],
  known: readonly string[] = [...new Set([...preflightCheckNames('init'), ...preflightCheckNames('join')])],
): Set<string> | 'all' {
  const items = list.flatMap((item) => item.split(',')).map((item) => item.trim()).filter(Boolean);
  const lowered = new Set(items.map((item) => item.toLowerCase()));
  if (lowered.has('all')) {
    if (lowered.size > 1) {
      throw validationError(
        'KF_PREFLIGHT_IGNORE_ALL',
        `ignore-preflight-errors: Invalid value: "${[...lowered].sort().join(',')}": don't specify individual checks if 'all' is used`,
        { hint: "use --ignore-preflight-errors=all alone, or list the individual checks" },
      );
    }
    return 'all';
  }
  const canonical = new Map(known.map((name) => [name.toLowerCase(), name]));
  const result = new Set<string>();
  for (const item of items) {
    const name = canonical.get(item.toLowerCase());
    const port = PORT_NAME.exec(item.toLowerCase());
    if (name) result.add(name);
    else if (port && Number(port[1]) >= 1 && Number(port[1]) <= 65535) result.add(`Port-${Number(port[1])}`);
    else {
      throw validationError('KF_PREFLIGHT_UNKNOWN_CHECK', `ignore-preflight-errors: unknown pre-flight check "${item}"`, {
        hint: `known checks: ${[...known].sort().join(', ')}, or all`,
      });
    }
  }
  return result;
}
