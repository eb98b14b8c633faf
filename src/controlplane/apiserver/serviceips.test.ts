import { describe, expect, it } from 'vitest';
import { firstServiceIp, parsePortRange, parseServiceCidr } from './serviceips.js';

describe('service ranges', () => {
  it("gives the kubernetes Service the first address of kubeadm's default range", () => {
    const range = parseServiceCidr('10.96.0.0/12');
    expect(firstServiceIp(range)).toBe('10.96.0.1');
    expect(range.last - range.first + 1).toBe(2 ** 20 - 2);
    expect(range.cidr).toBe('10.96.0.0/12');
  });

  it('normalises a CIDR given with host bits and uses the IPv4 half of a dual-stack pair', () => {
    expect(parseServiceCidr('10.96.3.7/16,fd00::/108').cidr).toBe('10.96.0.0/16');
  });

  it('rejects what is not an IPv4 CIDR, and malformed port ranges', () => {
    for (const bad of ['10.96.0.0', 'fd00::/108', '10.300.0.0/16', '10.0.0.0/31']) expect(() => parseServiceCidr(bad), bad).toThrow(/service-cluster-ip-range/);
    expect(parsePortRange('30000-32767')).toEqual({ first: 30000, last: 32767 });
    for (const bad of ['32767-30000', 'a-b', '0-10']) expect(() => parsePortRange(bad), bad).toThrow(/service-node-port-range/);
  });
});
