/**
 * Port-<n>: the port must be free where this node will listen. kubeadm binds `:port` (every
 * address); several kubeforge nodes share one machine on their own loopback addresses, so a node
 * whose advertise address is a loopback address tests that address only, and any other node tests
 * the wildcard address like kubeadm does.
 */
import { isIPv6, isLoopback } from '../ip.js';
import { describeOwner, findPortOwner } from '../port-owner.js';
import { fail, ok, type Check } from '../types.js';

/** kubeadm's constants: kube-apiserver default, scheduler and controller-manager health, etcd client/peer, kubelet. */
export const KUBE_SCHEDULER_PORT = 10259;
export const KUBE_CONTROLLER_MANAGER_PORT = 10257;
export const ETCD_LISTEN_CLIENT_PORT = 2379;
export const ETCD_LISTEN_PEER_PORT = 2380;
export const KUBELET_PORT = 10250;

/** The address a bind test for this node uses. */
export function portCheckAddress(advertiseAddress: string): string {
  if (isLoopback(advertiseAddress)) return advertiseAddress;
  return isIPv6(advertiseAddress) ? '::' : '0.0.0.0';
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Bind tests of the same address and port run one after another, so two checks never see each other's test socket. */
const bindQueue = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = bindQueue.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  const settled = next.catch(() => undefined);
  bindQueue.set(key, settled);
  void settled.then(() => {
    if (bindQueue.get(key) === settled) bindQueue.delete(key);
  });
  return next;
}

export function portOpenCheck(port: number, advertiseAddress: string): Check {
  const address = portCheckAddress(advertiseAddress);
  return {
    name: `Port-${port}`,
    fix: `stop the process listening on ${hostPort(address, port)}, or give this node its own address (--apiserver-advertise-address 127.0.0.N)`,
    async run({ host }) {
      const bound = await serialized(hostPort(address, port), () => host.system.tryBind(address, port));
      if (bound.ok) return ok();
      if (bound.code !== 'EADDRINUSE') return fail(`Port ${port} cannot be bound on ${address}: ${bound.message}`);
      const owner = await findPortOwner(host.system, address, port);
      return fail(`Port ${port} is in use: ${hostPort(address, port)} is held by ${describeOwner(owner)}`);
    },
  };
}
