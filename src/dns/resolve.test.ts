import { describe, expect, it } from 'vitest';
import type { RecordType } from 'dns-packet';
import { corefile } from '../bootstrap/addons.js';
import { buildClusterIndex, endpointSetsFromEndpoints, endpointSetsFromSlice, type EndpointSet } from './cluster-state.js';
import { parseCorefile } from './corefile.js';
import { NEXT_PLUGIN, resolveKubernetes, reverseNameToIP, type Resolution } from './resolve.js';

const plugin = parseCorefile(corefile('cluster.local'))[0]!.kubernetes!;

const svc = (name: string, spec: Record<string, unknown>, namespace = 'default') => ({ metadata: { name, namespace }, spec });
const services = [
  svc('web', { clusterIP: '10.116.0.20', clusterIPs: ['10.116.0.20'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'dns', protocol: 'UDP', port: 53 }] }),
  svc('db', { clusterIP: 'None', ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }] }),
  svc('dual', { clusterIPs: ['10.116.0.30', 'fd00::30'], ports: [] }),
  svc('ext', { type: 'ExternalName', externalName: 'example.org' }),
  svc('empty', { clusterIP: 'None', ports: [] }, 'other'),
];
const endpoints = new Map<string, EndpointSet[]>([
  ['db.default', endpointSetsFromSlice({
    metadata: { name: 'db-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.216.1.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.216.2.6'], conditions: { ready: true } },
      { addresses: ['10.216.2.7'], hostname: 'db-2', conditions: { ready: false } },
    ],
    ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
  })],
  ['web.default', endpointSetsFromEndpoints({ metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.216.1.9' }], ports: [{ name: 'http', port: 8080 }] }] })],
]);
const index = buildClusterIndex(services, endpoints);

function ask(name: string, type: RecordType): Resolution {
  const r = resolveKubernetes(index, plugin, name, type);
  if (r === NEXT_PLUGIN) throw new Error(`${name} fell through`);
  return r;
}
const data = (r: Resolution) => r.answers.map((a) => (a as { data: unknown }).data);

describe('resolveKubernetes', () => {
  it('answers a ClusterIP service with its IP, with the Corefile\'s TTL, authoritatively', () => {
    const r = ask('web.default.svc.cluster.local', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN', ttl: 30, data: '10.116.0.20' }]);
  });

  it('gives AAAA only for a service that has an IPv6 cluster IP, and NODATA with the SOA otherwise', () => {
    expect(data(ask('dual.default.svc.cluster.local', 'AAAA'))).toEqual(['fd00::30']);
    const none = ask('web.default.svc.cluster.local', 'AAAA');
    expect(none).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(none.authorities[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', data: { mname: 'ns.dns.cluster.local', minimum: 30 } });
  });

  it('answers a headless service with its ready endpoints\' pod IPs', () => {
    expect(data(ask('db.default.svc.cluster.local', 'A')).sort()).toEqual(['10.216.1.5', '10.216.2.6']);
  });

  it('names a headless endpoint by its hostname (a StatefulSet pod) and by its dashed IP', () => {
    expect(data(ask('db-0.db.default.svc.cluster.local', 'A'))).toEqual(['10.216.1.5']);
    expect(data(ask('10-216-2-6.db.default.svc.cluster.local', 'A'))).toEqual(['10.216.2.6']);
    expect(ask('db-2.db.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  it('answers SRV for a named port, with the target\'s address as an additional record', () => {
    const r = ask('_http._tcp.web.default.svc.cluster.local', 'SRV');
    expect(data(r)).toEqual([{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
    expect(r.additionals).toEqual([{ name: 'web.default.svc.cluster.local', type: 'A', class: 'IN', ttl: 30, data: '10.116.0.20' }]);
    expect(ask('_dns._udp.web.default.svc.cluster.local', 'SRV').answers).toHaveLength(1);
    expect(ask('_http._udp.web.default.svc.cluster.local', 'SRV').rcode).toBe('NXDOMAIN');
  });

  it('answers SRV of a headless service per endpoint, targets named by hostname or dashed IP', () => {
    const r = ask('_pg._tcp.db.default.svc.cluster.local', 'SRV');
    expect(data(r).map((d) => (d as { target: string }).target).sort()).toEqual(['10-216-2-6.db.default.svc.cluster.local', 'db-0.db.default.svc.cluster.local']);
    expect(r.additionals.map((a) => a.name).sort()).toEqual(['10-216-2-6.db.default.svc.cluster.local', 'db-0.db.default.svc.cluster.local']);
  });

  it('answers an ExternalName service with a CNAME, whatever the type', () => {
    expect(ask('ext.default.svc.cluster.local', 'A').answers).toEqual([{ name: 'ext.default.svc.cluster.local', type: 'CNAME', class: 'IN', ttl: 30, data: 'example.org' }]);
  });

  it('answers a pod name spelled from its IP (pods insecure)', () => {
    expect(data(ask('10-216-1-5.default.pod.cluster.local', 'A'))).toEqual(['10.216.1.5']);
    expect(ask('10-216-1.default.pod.cluster.local', 'A').rcode).toBe('NXDOMAIN');
  });

  it('is NXDOMAIN with the zone\'s SOA for names in the cluster domain that do not exist', () => {
    for (const name of ['nosuch.default.svc.cluster.local', 'web.nosuch.svc.cluster.local', 'nosuch.cluster.local', 'a.b.web.default.svc.cluster.local']) {
      const r = ask(name, 'A');
      expect(r.rcode, name).toBe('NXDOMAIN');
      expect(r.authorities[0]!.type).toBe('SOA');
    }
  });

  it('is NODATA for names that exist without records: the zone apex, svc, a namespace with services, a headless service without endpoints', () => {
    for (const name of ['cluster.local', 'svc.cluster.local', 'default.svc.cluster.local', 'empty.other.svc.cluster.local']) expect(ask(name, 'A'), name).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(ask('cluster.local', 'SOA').answers[0]!.type).toBe('SOA');
    expect(data(ask('dns-version.cluster.local', 'TXT'))).toEqual(['1.1.0']);
  });

  it('answers PTR for service and endpoint IPs, and falls through for other reverse names', () => {
    expect(data(ask('20.0.116.10.in-addr.arpa', 'PTR'))).toEqual(['web.default.svc.cluster.local']);
    expect(data(ask('5.1.216.10.in-addr.arpa', 'PTR'))).toEqual(['db-0.db.default.svc.cluster.local']);
    expect(resolveKubernetes(index, plugin, '1.2.3.4.in-addr.arpa', 'PTR')).toBe(NEXT_PLUGIN);
  });

  it('leaves names outside its zones to the next plugin', () => {
    expect(resolveKubernetes(index, plugin, 'example.org', 'A')).toBe(NEXT_PLUGIN);
    expect(resolveKubernetes(index, plugin, 'cluster.localx', 'A')).toBe(NEXT_PLUGIN);
  });

  it('reads reverse names of both families', () => {
    expect(reverseNameToIP('4.3.2.1.in-addr.arpa')).toBe('1.2.3.4');
    expect(reverseNameToIP(`${'0.3.0.0.'.split('').join('')}${'0.'.repeat(26)}d.f.ip6.arpa`)).toBe('fd00::30');
    expect(reverseNameToIP('300.1.1.1.in-addr.arpa')).toBeUndefined();
  });
});
