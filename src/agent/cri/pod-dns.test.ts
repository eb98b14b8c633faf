import { describe, expect, it } from 'vitest';
import type { Pod } from '../pod.js';
import { parseResolvConf, podDnsConfig } from './pod-dns.js';

const HOST = '# the node\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\noptions edns0 timeout:2\n';
const KUBELET = { clusterDNS: ['10.116.0.10'], clusterDomain: 'cluster.local' };

function pod(spec: Record<string, unknown> = {}, namespace = 'shop'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace, uid: 'u' }, spec: { containers: [], ...spec } } as unknown as Pod;
}

describe('podDnsConfig', () => {
  it('ClusterFirst (the default): the cluster DNS, the namespace\'s search list then the node\'s, ndots:5', () => {
    expect(podDnsConfig(pod(), HOST, KUBELET)).toEqual({
      servers: ['10.116.0.10'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
      options: ['ndots:5'],
    });
  });

  it('Default, and ClusterFirst on the host network: the node\'s resolv.conf', () => {
    const node = { servers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] };
    expect(podDnsConfig(pod({ dnsPolicy: 'Default' }), HOST, KUBELET)).toEqual(node);
    expect(podDnsConfig(pod({ hostNetwork: true }), HOST, KUBELET)).toEqual(node);
  });

  it('ClusterFirstWithHostNet: the cluster DNS on the host network', () => {
    expect(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), HOST, KUBELET).servers).toEqual(['10.116.0.10']);
  });

  it('None: only the pod\'s dnsConfig; dnsConfig otherwise merges in (options by name)', () => {
    const dnsConfig = { nameservers: ['192.0.2.99'], searches: ['extra.example'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] };
    expect(podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig }), HOST, KUBELET)).toEqual({ servers: ['192.0.2.99'], searches: ['extra.example'], options: ['ndots:2', 'rotate'] });
    expect(podDnsConfig(pod({ dnsConfig }), HOST, KUBELET)).toMatchObject({ servers: ['10.116.0.10', '192.0.2.99'], options: ['ndots:2', 'rotate'] });
  });

  it('falls back to the node\'s resolv.conf when the kubelet has no clusterDNS', () => {
    expect(podDnsConfig(pod(), HOST, { clusterDNS: [], clusterDomain: 'cluster.local' }).servers).toEqual(['192.0.2.53', '192.0.2.54']);
  });

  it('cuts the search list at 32 entries', () => {
    const many = `search ${Array.from({ length: 40 }, (_, i) => `d${i}.example`).join(' ')}\n`;
    expect(podDnsConfig(pod(), many, KUBELET).searches).toHaveLength(32);
  });

  it('reads at most three nameservers, and the last search/domain line', () => {
    expect(parseResolvConf('nameserver a\nnameserver b\nnameserver c\nnameserver d\ndomain x.example\nsearch y.example\n')).toEqual({ servers: ['a', 'b', 'c'], searches: ['y.example'], options: [] });
  });
});
