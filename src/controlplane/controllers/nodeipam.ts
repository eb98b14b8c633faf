/**
 * nodeipam (--allocate-node-cidrs with --cluster-cidr, as kubeadm sets them when
 * networking.podSubnet is given): gives every node without one a spec.podCIDR (and podCIDRs)
 * of --node-cidr-mask-size (24 for IPv4) carved in order from the cluster CIDR, skipping
 * ranges that overlap --service-cluster-ip-range and those other nodes hold. IPv4 only.
 */
import { KubeforgeError } from '../../errors.js';
import { runInformerLoop, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import type { Node } from './nodelifecycle.js';

interface Cidr {
  base: number;
  bits: number;
}

function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: address - (address % size), bits };
}

const formatCidr = ({ base, bits }: Cidr) => `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${bits}`;
const overlaps = (a: Cidr, b: Cidr) => a.base < b.base + 2 ** (32 - b.bits) && b.base < a.base + 2 ** (32 - a.bits);

export interface NodeIpamOptions {
  clusterCIDR: string;
  nodeMaskSize: number;
  serviceCIDR?: string;
}

/** The first free node range, or undefined when the cluster CIDR is used up. */
export function nextPodCIDR(options: NodeIpamOptions, taken: string[]): string | undefined {
  const cluster = parseCidr(options.clusterCIDR);
  if (!cluster || options.nodeMaskSize < cluster.bits || options.nodeMaskSize > 32) {
    throw new KubeforgeError('KF_NODEIPAM_CIDR', `cannot carve /${options.nodeMaskSize} node ranges out of --cluster-cidr=${options.clusterCIDR}`, { hint: 'use an IPv4 --cluster-cidr (e.g. 10.244.0.0/16) no longer than --node-cidr-mask-size' });
  }
  const service = options.serviceCIDR ? parseCidr(options.serviceCIDR) : undefined;
  const used = taken.map(parseCidr).filter((c): c is Cidr => Boolean(c));
  const step = 2 ** (32 - options.nodeMaskSize);
  for (let base = cluster.base; base < cluster.base + 2 ** (32 - cluster.bits); base += step) {
    const candidate = { base, bits: options.nodeMaskSize };
    if (service && overlaps(candidate, service)) continue;
    if (used.some((u) => overlaps(candidate, u))) continue;
    return formatCidr(candidate);
  }
  return undefined;
}

export function nodeIpamController(options: NodeIpamOptions | undefined): Controller {
  return {
    name: 'nodeipam',
    async run(ctx: ControllerContext) {
      if (!options) return; // --allocate-node-cidrs is off: nothing to do, as upstream
      const nodes = ctx.informers.informerFor<Node>(ref('nodes'));
      const pending = new Set<string>();
      const sync = async (node: Node, name: string) => {
        const taken = [...nodes.list().flatMap((n) => n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])), ...pending];
        const cidr = nextPodCIDR(options, taken);
        if (!cidr) {
          ctx.log.warn(`[nodeipam] no free /${options.nodeMaskSize} left in ${options.clusterCIDR} for node ${name}`);
          return;
        }
        pending.add(cidr);
        try {
          await ctx.client.patch(ref('nodes', undefined, name), { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { podCIDR: cidr, podCIDRs: [cidr] } });
          ctx.log.debug(2, `[nodeipam] node ${name}: podCIDR ${cidr}`);
        } finally {
          setTimeout(() => pending.delete(cidr), 5000).unref?.();
        }
      };
      // One worker: each allocation sees the previous one.
      await runInformerLoop(ctx, { name: 'nodeipam', informer: nodes, accept: (n) => !n.spec?.podCIDR, workers: 1, sync });
    },
  };
}
