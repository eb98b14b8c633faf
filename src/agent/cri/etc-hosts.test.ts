import { describe, expect, it } from 'vitest';
import type { Pod } from '../pod.js';
import { managedHostsFile, podHostname } from './etc-hosts.js';

const pod = (name: string, spec: Record<string, unknown> = {}) => ({ metadata: { name, namespace: 'shop', uid: 'u' }, spec: { containers: [], ...spec } }) as unknown as Pod;

describe('the kubelet-managed /etc/hosts', () => {
  it('names a pod with hostname and subdomain by its FQDN under the headless service', () => {
    const text = managedHostsFile(pod('db-0', { hostname: 'db-0', subdomain: 'db' }), ['10.216.1.5'], 'cluster.local');
    expect(text.split('\n').slice(0, 2)).toEqual(['# Kubernetes-managed hosts file.', '127.0.0.1\tlocalhost']);
    expect(text).toContain('\n10.216.1.5\tdb-0.db.shop.svc.cluster.local\tdb-0\n');
  });

  it('names a plain pod by its hostname only, and appends hostAliases', () => {
    const text = managedHostsFile(pod('web-1', { hostAliases: [{ ip: '192.0.2.1', hostnames: ['a.example', 'b.example'] }] }), ['10.216.1.6'], 'cluster.local');
    expect(text).toContain('\n10.216.1.6\tweb-1\n');
    expect(text.endsWith('# Entries added by HostAliases.\n192.0.2.1\ta.example\tb.example\n')).toBe(true);
  });

  it('cuts a long pod name to 63 characters without a trailing dash', () => {
    expect(podHostname(pod(`${'a'.repeat(62)}-bcd`))).toBe('a'.repeat(62));
  });
});
