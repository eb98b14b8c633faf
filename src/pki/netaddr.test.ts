import { describe, expect, it } from 'vitest';
import { canonicalIP, indexedIP, parseHostPort } from './netaddr.js';

describe('address helpers', () => {
  it('prints IPs as Go does', () => {
    expect(canonicalIP('::1')).toBe('::1');
    expect(canonicalIP('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIP('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    expect(canonicalIP('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIP('node-a')).toBeUndefined();
  });

  it('finds the first IP of a service subnet', () => {
    expect(indexedIP('10.96.0.0/12', 1)).toBe('10.96.0.1');
    expect(indexedIP('10.96.7.9/12', 1)).toBe('10.96.0.1');
    expect(indexedIP('fd00:10:96::/112', 1)).toBe('fd00:10:96::1');
    expect(indexedIP('10.96.0.0', 1)).toBeUndefined();
  });

  it('splits control-plane endpoints as kubeadm does', () => {
    expect(parseHostPort('api.example.test:6443')).toEqual({ host: 'api.example.test', port: '6443' });
    expect(parseHostPort('[fd00::1]:6443')).toEqual({ host: 'fd00::1', port: '6443' });
    expect(parseHostPort('fd00::1')).toEqual({ host: 'fd00::1', port: '' });
    expect(parseHostPort('Bad_Host:6443')).toBeUndefined();
    expect(parseHostPort('api:70000')).toBeUndefined();
  });
});
