import { describe, expect, it } from 'vitest';
import { cidrContains, formatIP, indexedIP, ipEqual, isIPv4, isIPv6, isLoopback, parseCIDR, parseIP } from './ip.js';

describe('ip helpers', () => {
  it('parses and prints IPv4, IPv6 and IPv4-mapped addresses canonically', () => {
    expect(formatIP(parseIP('10.1.2.3')!)).toBe('10.1.2.3');
    expect(formatIP(parseIP('fd00:0:0:0:0:0:0:1')!)).toBe('fd00::1');
    expect(formatIP(parseIP('::ffff:127.0.0.3')!)).toBe('127.0.0.3');
    expect(formatIP(parseIP('2001:db8:0:1:0:0:0:0')!)).toBe('2001:db8:0:1::');
    expect(parseIP('not-an-ip')).toBeUndefined();
  });

  it('compares IPv4 with its mapped IPv6 form, as Go does', () => {
    expect(ipEqual('127.0.0.2', '::ffff:127.0.0.2')).toBe(true);
    expect(ipEqual('127.0.0.2', '127.0.0.3')).toBe(false);
    expect(isIPv4('::ffff:10.0.0.1')).toBe(true);
    expect(isIPv6('fd00::1')).toBe(true);
    expect(isLoopback('127.3.2.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('finds indexed addresses and membership in CIDRs', () => {
    expect(indexedIP(parseCIDR('10.96.0.0/12')!, 1)).toBe('10.96.0.1');
    expect(indexedIP(parseCIDR('10.96.0.255/24')!, 1)).toBe('10.96.0.1');
    expect(indexedIP(parseCIDR('fd00:10::/108')!, 10)).toBe('fd00:10::a');
    expect(cidrContains(parseCIDR('10.96.0.0/12')!, '10.111.255.255')).toBe(true);
    expect(cidrContains(parseCIDR('10.96.0.0/12')!, '10.112.0.0')).toBe(false);
    expect(parseCIDR('10.0.0.0/33')).toBeUndefined();
  });
});
