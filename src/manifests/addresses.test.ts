import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, joinHostPort, nodeAddresses, urlList } from './addresses.js';

describe('the loopback rule (nodeAddresses)', () => {
  it('keeps kubeadm\'s 127.0.0.1 and the wildcard bind for a routable IPv4 advertise address', () => {
    expect(nodeAddresses('10.0.0.5')).toEqual({ advertise: '10.0.0.5', localhost: '127.0.0.1', bindAddress: undefined, ipv6: false });
  });

  it('keeps 127.0.0.1 as localhost but binds only it for a node advertising 127.0.0.1', () => {
    expect(nodeAddresses('127.0.0.1')).toEqual({ advertise: '127.0.0.1', localhost: '127.0.0.1', bindAddress: '127.0.0.1', ipv6: false });
  });

  it('makes a node advertising 127.0.0.2 use 127.0.0.2 as its localhost and bind address', () => {
    expect(nodeAddresses('127.0.0.2')).toEqual({ advertise: '127.0.0.2', localhost: '127.0.0.2', bindAddress: '127.0.0.2', ipv6: false });
  });

  it('uses ::1 as localhost for a routable IPv6 advertise address, as kubeadm does', () => {
    expect(nodeAddresses('fd00::5')).toEqual({ advertise: 'fd00::5', localhost: '::1', bindAddress: undefined, ipv6: true });
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.3', true],
    ['128.0.0.1', false],
    ['10.0.0.5', false],
    ['::', false],
    ['fd00::1', false],
    ['localhost', false],
  ])('classifies %s as loopback: %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe('URL helpers', () => {
  it('brackets IPv6 hosts like Go\'s JoinHostPort', () => {
    expect(joinHostPort('::1', 2379)).toBe('[::1]:2379');
    expect(joinHostPort('10.0.0.5', 2379)).toBe('10.0.0.5:2379');
  });

  it('drops repeated URLs and keeps the first order', () => {
    expect(urlList(['https://127.0.0.2:2379', 'https://127.0.0.2:2379'])).toBe('https://127.0.0.2:2379');
    expect(urlList(['https://127.0.0.1:2379', 'https://10.0.0.5:2379'])).toBe('https://127.0.0.1:2379,https://10.0.0.5:2379');
  });
});
