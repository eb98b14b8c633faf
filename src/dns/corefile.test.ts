import { describe, expect, it } from 'vitest';
import { corefile } from '../bootstrap/addons.js';
import { parseCorefile } from './corefile.js';

function refusal(text: string): string {
  try {
    parseCorefile(text);
  } catch (err) {
    expect((err as { code?: string }).code).toBe('KF_COREFILE_INVALID');
    return (err as Error).message;
  }
  throw new Error('the Corefile was accepted');
}

describe('parseCorefile', () => {
  it('reads the Corefile kubeadm writes, plugin by plugin', () => {
    const [block, ...rest] = parseCorefile(corefile('cluster.local'));
    expect(rest).toEqual([]);
    expect(block).toEqual({
      zones: ['.'],
      port: 53,
      bind: [],
      errors: true,
      log: false,
      health: { address: ':8080', lameduckMs: 5000 },
      ready: { address: ':8181' },
      kubernetes: { zones: ['cluster.local', 'in-addr.arpa', 'ip6.arpa'], pods: 'insecure', fallthrough: ['in-addr.arpa', 'ip6.arpa'], ttl: 30, noEndpoints: false },
      prometheus: { address: ':9153' },
      forward: { from: '.', to: ['/etc/resolv.conf'], maxConcurrent: 1000, forceTcp: false, preferUdp: false, except: [] },
      cache: { ttl: 30, disableSuccess: ['cluster.local'], disableDenial: ['cluster.local'] },
      loop: true,
      reload: { intervalMs: 30_000, jitterMs: 15_000 },
      loadbalance: true,
    });
  });

  it('follows a custom cluster domain and takes several server blocks (a stub domain)', () => {
    const blocks = parseCorefile(`${corefile('example.internal')}\ncorp.example:53 {\n  forward . 127.0.0.9:5353 # stub\n}\n`);
    expect(blocks[0]!.kubernetes!.zones[0]).toBe('example.internal');
    expect(blocks[1]).toMatchObject({ zones: ['corp.example'], port: 53, forward: { to: ['127.0.0.9:5353'] } });
  });

  it('defaults health to :8080, ready to :8181, the kubernetes zones to the block\'s', () => {
    const [block] = parseCorefile('cluster.local:1053 {\n health\n ready\n kubernetes\n}');
    expect(block).toMatchObject({ port: 1053, health: { address: ':8080', lameduckMs: 0 }, ready: { address: ':8181' }, kubernetes: { zones: ['cluster.local'], pods: 'disabled', ttl: 5 } });
  });

  it('refuses a plugin kubeforge does not implement, naming it and its line', () => {
    expect(refusal('.:53 {\n  errors\n  rewrite name foo bar\n}')).toBe('Corefile:3: plugin "rewrite" is not supported by kubeforge\'s DNS server');
  });

  it('refuses an option it does not implement (pods verified) rather than ignoring it', () => {
    expect(refusal('.:53 {\n kubernetes cluster.local {\n  pods verified\n }\n}')).toContain('Corefile:3: pods must be "disabled" or "insecure" (kubeforge does not implement "verified")');
  });

  it('refuses unbalanced braces, a bad address, a bad duration and a zone served twice', () => {
    expect(refusal('.:53 {\n errors\n')).toContain('missing "}"');
    expect(refusal('}\n')).toContain('unexpected "}"');
    expect(refusal('.:53 {\n health 8080\n}')).toContain('"8080" is not an address');
    expect(refusal('.:53 {\n health {\n  lameduck soon\n }\n}')).toContain('"soon" is not a duration');
    expect(refusal('.:53 {\n errors\n}\n.:53 {\n errors\n}')).toContain('zone "." is served twice on port 53');
    expect(refusal('.:53 {\n errors\n errors\n}')).toContain('appears twice');
  });
});
