import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/index.js';
import { clusterPrefix } from './cluster.js';
import { localNodes, proxyServicePorts } from './endpoints.js';
import { missingHooks, prefixCleanup, prefixChains, restoreInput } from './restore.js';
import { coveringPrefix, hooks, RenderCache, renderRules, type RenderOptions, type RuleSet } from './rules.js';

const P = 'KFABC123';
const nodes: RenderOptions['nodes'] = [{ name: 'w1', addresses: ['127.0.0.151'], podCIDR: '10.215.1.0/24' }, { name: 'w2', addresses: ['127.0.0.152'], podCIDR: '10.215.2.0/24' }];
const options: RenderOptions = { prefix: P, clusterCIDR: '10.215.0.0/16', nodes };

const service = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' },
  spec: { clusterIP: '10.115.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec },
});
type Cond = { ready?: boolean; serving?: boolean; terminating?: boolean };
const slice = (svc: string, eps: Array<[string, string, Cond?]>, port = 8080): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${svc}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4', ports: [{ name: 'http', port, protocol: 'TCP' }],
  endpoints: eps.map(([ip, node, conditions]) => ({ addresses: [ip], nodeName: node, conditions: conditions ?? { ready: true } })),
});
const render = (services: KubeObject[], slices: KubeObject[], o: RenderOptions = options) => renderRules(proxyServicePorts(services, slices), o);
const rules = (set: RuleSet, table: 'nat' | 'filter', chainStart: string) => [...set[table].entries()].filter(([c]) => c.startsWith(chainStart)).flatMap(([, r]) => r);

describe('kube-proxy rules (iptables mode, per-cluster prefix)', () => {
  it('spreads a cluster IP over its ready endpoints, masquerading sources outside the pod network and hairpins', () => {
    const set = render([service('web')], [slice('web', [['10.215.1.5', 'w1'], ['10.215.2.6', 'w2'], ['10.215.2.7', 'w2', { ready: false }]])]);
    expect(rules(set, 'nat', `${P}-SERVICES`)).toEqual([`-A ${P}-SERVICES -m comment --comment "default/web:http cluster IP" -d 10.115.0.20/32 -p tcp -m tcp --dport 80 -j ${[...set.nat.keys()].find((c) => c.startsWith(`${P}-SVC-`))}`]);
    const svc = rules(set, 'nat', `${P}-SVC-`);
    expect(svc[0]).toContain(`! -s 10.215.0.0/16 -d 10.115.0.20/32 -p tcp -m tcp --dport 80 -j ${P}-MARK-MASQ`);
    expect(svc[1]).toMatch(/-> 10\.215\.1\.5:8080" -m statistic --mode random --probability 0\.5000000000 -j KFABC123-SEP-/);
    expect(svc[2]).toMatch(/-> 10\.215\.2\.6:8080" -j KFABC123-SEP-/);
    expect(svc).toHaveLength(3);
    const seps = rules(set, 'nat', `${P}-SEP-`);
    expect(seps).toContainEqual(expect.stringMatching(/-s 10\.215\.1\.5\/32 -j KFABC123-MARK-MASQ$/));
    expect(seps).toContainEqual(expect.stringMatching(/-p tcp -m tcp -j DNAT --to-destination 10\.215\.2\.6:8080$/));
    expect(rules(set, 'filter', `${P}-SERVICES`)).toEqual([]);
    expect(rules(set, 'nat', `${P}-ENTRY`)).toEqual([`-A ${P}-ENTRY -d 10.115.0.20/32 -j ${P}-SERVICES`, `-A ${P}-ENTRY -d 127.0.0.151/32 -j ${P}-NODEPORTS`, `-A ${P}-ENTRY -d 127.0.0.152/32 -j ${P}-NODEPORTS`]);
  });

  it('rejects new connections to a port without endpoints instead of letting them hang', () => {
    const set = render([service('empty', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })], []);
    expect(rules(set, 'filter', `${P}-SERVICES`)).toEqual([`-A ${P}-SERVICES -m comment --comment "default/empty:http has no endpoints" -d 10.115.0.20/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable`]);
    expect(rules(set, 'filter', `${P}-EXTERNAL-SERVICES`)).toHaveLength(2);
    expect([...set.nat.keys()].filter((c) => /-(SVC|SEP|EXT)-/.test(c))).toEqual([]);
    expect(rules(set, 'filter', `${P}-FILTER`)).toContain(`-A ${P}-FILTER -m conntrack --ctstate NEW -d 10.115.0.20/32 -j ${P}-SERVICES`);
  });

  it('drops connections to 127/8 from elsewhere unless the proxy DNATed them (route_localnet is on)', () => {
    const [first] = rules(render([], []), 'filter', `${P}-FILTER`);
    expect(first).toBe(`-A ${P}-FILTER -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`);
  });

  it('serves a NodePort on every local node address, masqueraded (externalTrafficPolicy Cluster)', () => {
    const set = render([service('np', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })], [slice('np', [['10.215.1.5', 'w1']], 80)]);
    const nodeports = rules(set, 'nat', `${P}-NODEPORTS`);
    expect(nodeports.map((r) => / -d (\S+) .*--dport 30080 -j (\S+)/.exec(r)?.slice(1))).toEqual([['127.0.0.151/32', expect.stringMatching(/-EXT-/)], ['127.0.0.152/32', expect.stringMatching(/-EXT-/)]]);
    const ext = rules(set, 'nat', `${P}-EXT-`);
    expect(ext[0]).toMatch(/-j KFABC123-MARK-MASQ$/);
    expect(ext[1]).toMatch(/-j KFABC123-SVC-/);
  });

  it('with externalTrafficPolicy Local sends outside clients only to endpoints on the node they reached, and drops on a node without one', () => {
    const set = render([service('loc', { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30081 }] })], [slice('loc', [['10.215.1.5', 'w1']], 80)]);
    expect(rules(set, 'nat', `${P}-NODEPORTS`)).toHaveLength(1);
    expect(rules(set, 'filter', `${P}-EXTERNAL-SERVICES`)).toEqual([expect.stringMatching(/has no local endpoints" -d 127\.0\.0\.152\/32 -p tcp -m tcp --dport 30081 -j DROP$/)]);
    const svl = rules(set, 'nat', `${P}-SVL-`);
    expect(svl).toEqual([expect.stringMatching(/-> 10\.215\.1\.5:80" -j KFABC123-SEP-/)]);
    expect(rules(set, 'nat', `${P}-EXT-`).at(-1)).toMatch(/-j KFABC123-SVL-/);
  });

  it('with internalTrafficPolicy Local sends each node\'s pods to that node\'s endpoints only', () => {
    const set = render([service('itp', { internalTrafficPolicy: 'Local' })], [slice('itp', [['10.215.2.9', 'w2']])]);
    expect(rules(set, 'nat', `${P}-SERVICES`)[0]).toMatch(/-s 10\.215\.2\.0\/24 -d 10\.115\.0\.20\/32 .* -j KFABC123-SVL-/);
    expect(rules(set, 'filter', `${P}-SERVICES`)).toEqual([expect.stringMatching(/-s 10\.215\.1\.0\/24 -d 10\.115\.0\.20\/32 .* -j DROP$/)]);
  });

  it('keeps a client on one endpoint with sessionAffinity ClientIP (recent match with the timeout)', () => {
    const set = render([service('sticky', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } })], [slice('sticky', [['10.215.1.5', 'w1'], ['10.215.2.6', 'w2']])]);
    const svc = rules(set, 'nat', `${P}-SVC-`);
    expect(svc.filter((r) => r.includes('--rcheck --seconds 60 --reap'))).toHaveLength(2);
    expect(rules(set, 'nat', `${P}-SEP-`).filter((r) => / -m recent --name KFABC123-SEP-\S+ --set -m tcp -j DNAT/.test(r))).toHaveLength(2);
  });

  it('falls back to serving terminating endpoints when none is ready; skips headless and ExternalName Services', () => {
    const ports = proxyServicePorts([service('roll'), service('headless', { clusterIP: 'None' }), service('ext', { type: 'ExternalName', clusterIP: '' })], [slice('roll', [['10.215.1.5', 'w1', { ready: false, serving: true, terminating: true }], ['10.215.1.6', 'w1', { ready: false, serving: false, terminating: true }]])]);
    expect(ports.map((p) => [p.id, p.endpoints.map((e) => e.ip)])).toEqual([['default/roll:http', ['10.215.1.5']]]);
  });

  it('renders disjoint chains for two clusters, entering each only for its own addresses', () => {
    const a = render([service('web')], [slice('web', [['10.215.1.5', 'w1']])]);
    const b = render([service('web', { clusterIP: '10.96.0.20' })], [slice('web', [['10.244.1.5', 'n1']])], { prefix: 'KFDEF456', nodes: [{ name: 'n1', addresses: ['127.0.0.9'] }] });
    const names = (set: RuleSet) => [...set.nat.keys(), ...set.filter.keys()];
    expect(names(a).every((c) => c.startsWith(`${P}-`))).toBe(true);
    expect(names(b).every((c) => c.startsWith('KFDEF456-'))).toBe(true);
    expect(rules(b, 'nat', 'KFDEF456-ENTRY')).toEqual(['-A KFDEF456-ENTRY -d 10.96.0.20/32 -j KFDEF456-SERVICES', '-A KFDEF456-ENTRY -d 127.0.0.9/32 -j KFDEF456-NODEPORTS']);
    expect(names(a).every((c) => c.length <= 28)).toBe(true);
  });

  it('renders the same rules from its cache after a change as from scratch, reusing the unchanged ports', () => {
    const cache = new RenderCache();
    const services = [service('a'), service('b', { clusterIP: '10.115.0.21', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })];
    renderRules(proxyServicePorts(services, [slice('a', [['10.215.1.5', 'w1']]), slice('b', [['10.215.1.6', 'w1']], 80)]), options, cache);
    const kept = [...cache.fragments.values()].find((f) => [...f.nat.keys()].some((c) => c.includes('-EXT-')));
    const changed = proxyServicePorts(services, [slice('a', [['10.215.1.5', 'w1'], ['10.215.2.5', 'w2']]), slice('b', [['10.215.1.6', 'w1']], 80)]);
    const fromCache = renderRules(changed, options, cache);
    expect(fromCache).toEqual(renderRules(changed, options));
    expect([...cache.fragments.values()]).toContain(kept);
    expect(cache.fragments.size).toBe(2);
  });

  it('covers the cluster IPs with the smallest prefix', () => {
    expect(coveringPrefix(['10.115.0.1', '10.115.0.10'])).toBe('10.115.0.0/28');
    expect(coveringPrefix(['10.115.0.1', '10.115.200.3'])).toBe('10.115.0.0/16');
    expect(coveringPrefix(['10.96.0.1'])).toBe('10.96.0.1/32');
    expect(coveringPrefix([])).toBeUndefined();
  });

  it('takes the prefix from the CA certificate and the local nodes from InternalIPs on this machine', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n';
    expect(clusterPrefix(pem)).toMatch(/^KF[0-9A-F]{6}$/);
    expect(clusterPrefix(pem.replace('\n', '\r\n'))).toBe(clusterPrefix(pem));
    const node = (name: string, ip: string): KubeObject => ({ metadata: { name }, spec: { podCIDR: '10.215.9.0/24' }, status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] } } as KubeObject);
    expect(localNodes([node('b', '127.0.0.152'), node('far', '192.0.2.7'), node('a', '10.1.2.3')], ['10.1.2.3'])).toEqual([{ name: 'a', addresses: ['10.1.2.3'], podCIDR: '10.215.9.0/24' }, { name: 'b', addresses: ['127.0.0.152'], podCIDR: '10.215.9.0/24' }]);
  });
});

describe('iptables-restore input', () => {
  const two = [slice('web', [['10.215.1.5', 'w1'], ['10.215.2.6', 'w2']])];
  const one = [slice('web', [['10.215.1.5', 'w1']])];

  it('writes every chain on a full sync and deletes the prefix\'s chains it no longer renders', () => {
    const set = render([service('web')], two);
    const text = restoreInput(set, undefined, { nat: new Set([`${P}-SVC-OLDOLDOLDOLD`]), filter: new Set() });
    expect(text.startsWith('*nat\n')).toBe(true);
    for (const chain of set.nat.keys()) expect(text).toContain(`:${chain} - [0:0]\n`);
    expect(text).toContain(`-X ${P}-SVC-OLDOLDOLDOLD\n`);
    expect(text.match(/^COMMIT$/gm)).toHaveLength(2);
  });

  it('after one endpoint change rewrites only the changed chains, and nothing when nothing changed', () => {
    const before = render([service('web')], two);
    const after = render([service('web')], one);
    const text = restoreInput(after, before, { nat: new Set(), filter: new Set() });
    const declared = text.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]);
    expect(declared.filter((c) => c!.includes('-SVC-'))).toHaveLength(1);
    expect(declared.filter((c) => c!.includes('-SEP-'))).toHaveLength(1);
    expect(text).toMatch(/^-X KFABC123-SEP-/m);
    expect(text).not.toContain('*filter');
    expect(restoreInput(after, after, { nat: new Set(), filter: new Set() })).toBe('');
  });

  it('finds a prefix\'s chains and its hooks in iptables-save output, and nothing of another prefix', () => {
    const save = [
      '*nat', ':PREROUTING ACCEPT [0:0]', `:${P}-ENTRY - [0:0]`, ':KFDEF456-ENTRY - [0:0]', `:${P}-SVC-AAAA - [0:0]`,
      `-A PREROUTING -m comment --comment "kubeforge ${P} service portals" -j ${P}-ENTRY`,
      '-A PREROUTING -m comment --comment "kubeforge KFDEF456 service portals" -j KFDEF456-ENTRY',
      `-A ${P}-ENTRY -d 10.115.0.0/28 -j ${P}-SERVICES`, 'COMMIT',
    ].join('\n');
    expect(prefixChains(save, P)).toEqual(new Set([`${P}-ENTRY`, `${P}-SVC-AAAA`]));
    const cleanup = prefixCleanup(save, 'nat', P);
    expect(cleanup.deletes).toEqual([['-t', 'nat', '-D', 'PREROUTING', '-m', 'comment', '--comment', `kubeforge ${P} service portals`, '-j', `${P}-ENTRY`]]);
    expect(cleanup.restore).toBe(`*nat\n:${P}-ENTRY - [0:0]\n:${P}-SVC-AAAA - [0:0]\n-X ${P}-ENTRY\n-X ${P}-SVC-AAAA\nCOMMIT\n`);
  });

  it('inserts only the missing hooks, in the full sync\'s own restore input', () => {
    const save = (table: string, lines: string[]) => [`*${table}`, ...lines, 'COMMIT'].join('\n');
    const saved = {
      nat: save('nat', [`-A PREROUTING -m comment --comment "kubeforge ${P} service portals" -j ${P}-ENTRY`, `-A OUTPUT -m comment --comment "kubeforge KFDEF456 service portals" -j KFDEF456-ENTRY`]),
      filter: save('filter', []),
    };
    const missing = missingHooks(saved, P);
    expect(missing.map((h) => `${h.table} ${h.chain} ${h.target}`)).toEqual([
      `nat OUTPUT ${P}-ENTRY`, `nat POSTROUTING ${P}-POSTROUTING`, `filter INPUT ${P}-FILTER`, `filter OUTPUT ${P}-FILTER`, `filter FORWARD ${P}-FILTER`, `filter FORWARD ${P}-FORWARD`,
    ]);
    const text = restoreInput(render([service('web')], two), undefined, { nat: new Set(), filter: new Set() }, missing, P);
    expect(text).toContain(`\n-I OUTPUT 1 -m comment --comment "kubeforge ${P} service portals" -j ${P}-ENTRY\n`);
    expect(text.match(/^-I /gm)).toHaveLength(6);
    // What the restore inserted is found again by the next full sync: nothing more to insert.
    const after = (table: 'nat' | 'filter') => save(table, text.split('\n').filter((l) => l.startsWith('-I ') && missing.some((h) => h.table === table && l.endsWith(`-j ${h.target}`) && l.startsWith(`-I ${h.chain} `))).map((l) => l.replace(/^-I (\S+) 1 /, '-A $1 ')));
    expect(missingHooks({ nat: `${saved.nat}\n${after('nat')}`, filter: after('filter') }, P)).toEqual([]);
  });

  it('is accepted by the real iptables-restore (--test: parsed and checked, never committed)', () => {
    let available = true;
    try {
      execFileSync('iptables-restore', ['--version'], { stdio: 'ignore' });
    } catch {
      available = false;
    }
    if (!available || process.getuid?.() !== 0) return expect.fail('this test needs root and iptables-restore (as the e2e tests do)');
    const services = [service('web'), service('np', { clusterIP: '10.115.0.30', type: 'NodePort', externalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), service('empty', { clusterIP: '10.115.0.40' }), service('itp', { clusterIP: '10.115.0.50', internalTrafficPolicy: 'Local' })];
    const set = render(services, [...two, slice('np', [['10.215.1.5', 'w1']], 80), slice('itp', [['10.215.1.7', 'w1']])]);
    const text = restoreInput(set, undefined, { nat: new Set(), filter: new Set() }, hooks(P), P);
    execFileSync('iptables-restore', ['--test', '--noflush'], { input: text });
  });
});
