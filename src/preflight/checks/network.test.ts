import { afterEach, describe, expect, it } from 'vitest';
import { cleanupFakeHosts, fakeHost, runCheck } from '../../../test/helpers/fake-host.js';
import { hostnameCheck, httpProxyCheck, httpProxyCIDRCheck } from './network.js';

afterEach(cleanupFakeHosts);

const PROXY = { HTTPS_PROXY: 'proxy.corp:3128' };

describe('Hostname', () => {
  it('passes when the node name resolves', async () => {
    const result = await runCheck(hostnameCheck('node-1'), fakeHost());
    expect(result).toEqual({ errors: [], warnings: [], info: ['node-1 resolves to 127.0.1.1'] });
  });

  it('warns (never fails) when the node name does not resolve', async () => {
    const result = await runCheck(hostnameCheck('ghost'), fakeHost());
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual(['hostname "ghost" could not be reached', 'hostname "ghost": lookup ghost: no such host']);
  });

  it('warns about a node name that is not a qualified name', async () => {
    const host = fakeHost({ hosts: new Map([['-bad-', ['10.0.0.1']]]) });
    expect((await runCheck(hostnameCheck('-bad-'), host)).warnings).toEqual([
      expect.stringMatching(/^invalid node name format "-bad-": name part must consist of alphanumeric characters/),
    ]);
  });
});

describe('HTTPProxy', () => {
  it('passes without proxy variables', async () => {
    expect((await runCheck(httpProxyCheck('10.0.0.5'), fakeHost())).warnings).toEqual([]);
  });

  it('warns when HTTPS_PROXY would capture the API server address', async () => {
    const host = fakeHost({ env: PROXY });
    expect((await runCheck(httpProxyCheck('10.0.0.5'), host)).warnings).toEqual([
      'Connection to "https://10.0.0.5" uses proxy "http://proxy.corp:3128". If that is not intended, adjust your proxy settings',
    ]);
  });

  it('never proxies a loopback advertise address, as Go does not', async () => {
    const host = fakeHost({ env: PROXY });
    expect((await runCheck(httpProxyCheck('127.0.0.2'), host)).warnings).toEqual([]);
  });

  it('honours NO_PROXY entries: CIDR, IP, domain suffix and *', async () => {
    for (const noProxy of ['10.0.0.0/8', 'example.com,10.0.0.5', '*']) {
      const host = fakeHost({ env: { ...PROXY, no_proxy: noProxy } });
      expect((await runCheck(httpProxyCheck('10.0.0.5'), host)).warnings).toEqual([]);
    }
    const byDomain = fakeHost({ env: { https_proxy: 'http://p:1', NO_PROXY: 'corp.example' } });
    expect((await runCheck(httpProxyCheck('api.corp.example'), byDomain)).warnings).toEqual([]);
    const otherPort = fakeHost({ env: { ...PROXY, NO_PROXY: '10.0.0.5:6443' } });
    expect((await runCheck(httpProxyCheck('10.0.0.5'), otherPort)).warnings).toHaveLength(1);
  });
});

describe('HTTPProxyCIDR', () => {
  it('passes when the subnets are exempt', async () => {
    const host = fakeHost({ env: { ...PROXY, NO_PROXY: '10.96.0.0/12,10.244.0.0/16' } });
    expect((await runCheck(httpProxyCIDRCheck(['10.96.0.0/12', '10.244.0.0/16']), host)).warnings).toEqual([]);
  });

  it('warns for each subnet whose first address would go through the proxy', async () => {
    const host = fakeHost({ env: { ...PROXY, NO_PROXY: '10.96.0.0/12' } });
    expect((await runCheck(httpProxyCIDRCheck(['10.96.0.0/12', 'fd00:10::/64']), host)).warnings).toEqual([
      'connection to "fd00:10::/64" uses proxy "http://proxy.corp:3128". This may lead to malfunctional cluster setup. ' +
        'Make sure that Pod and Services IP ranges specified correctly as exceptions in proxy configuration',
    ]);
  });
});
