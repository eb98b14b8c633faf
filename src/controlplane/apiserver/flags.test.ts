import { describe, expect, it } from 'vitest';
import { parseApiServerFlags } from './flags.js';

describe('kube-apiserver flags', () => {
  it('accepts --flag=value and --flag value with upstream names', () => {
    const flags = parseApiServerFlags(['--secure-port=7443', '--bind-address', '127.0.0.2', '--etcd-servers=https://a:2379,https://b:2379']);
    expect(flags.securePort).toBe(7443);
    expect(flags.bindAddress).toBe('127.0.0.2');
    expect(flags.etcdServers).toEqual(['https://a:2379', 'https://b:2379']);
  });

  it('rejects an unknown flag, naming it', () => {
    expect(() => parseApiServerFlags(['--secure-port=1', '--no-such-flag=1'])).toThrow(/unknown flag: --no-such-flag/);
  });

  it('accepts known flags it does not use and lists them', () => {
    const flags = parseApiServerFlags(['--allow-privileged=true', '--proxy-client-cert-file=/x', '--proxy-client-key-file', '/y']);
    expect(flags.ignored).toEqual(['allow-privileged', 'proxy-client-cert-file', 'proxy-client-key-file']);
  });

  it('treats a bare boolean flag as true and does not swallow the next argument', () => {
    const flags = parseApiServerFlags(['--enable-bootstrap-token-auth', '--anonymous-auth=false', '--v=2']);
    expect(flags.enableBootstrapTokenAuth).toBe(true);
    expect(flags.anonymousAuth).toBe(false);
    expect(flags.verbosity).toBe(2);
  });

  it('rejects a non-numeric port and a flag missing its value', () => {
    expect(() => parseApiServerFlags(['--secure-port=abc'])).toThrow(/invalid value "abc" for flag --secure-port/);
    expect(() => parseApiServerFlags(['--tls-cert-file'])).toThrow(/flag needs an argument: --tls-cert-file/);
  });

  it('applies upstream defaults and subtracts disabled admission plugins', () => {
    const flags = parseApiServerFlags(['--enable-admission-plugins=NodeRestriction,Foo', '--disable-admission-plugins=Foo']);
    expect(flags.securePort).toBe(6443);
    expect(flags.anonymousAuth).toBe(true);
    expect(flags.admissionPlugins).toEqual(['NodeRestriction']);
    expect(flags.etcdPrefix).toBe('/registry');
  });

  it('reads --service-account-max-token-expiration as a Go duration and rejects garbage', () => {
    expect(parseApiServerFlags([]).serviceAccountMaxTokenSeconds).toBe(0);
    expect(parseApiServerFlags(['--service-account-max-token-expiration=1h30m']).serviceAccountMaxTokenSeconds).toBe(5400);
    expect(() => parseApiServerFlags(['--service-account-max-token-expiration=soon'])).toThrow(/expected a duration/);
  });
});
