import { describe, expect, it } from 'vitest';
import { parseApiServerFlags } from './flags.js';

describe('kube-apiserver flags', () => {
  it('accepts --flag=value and --flag value with upstream names', () => {
    const flags = parseApiServerFlags(['--secure-port=7443', '--bind-address', '127.0.0.2', '--etcd-servers=https://a:2379,https://b:2379']);
    expect(flags.securePort).toBe(7443);
    expect(flags.bindAddress).toBe('127.0.0.2');
    expect(flags.etcdServers).toEqual(['https://a:2379', 'https://b:2379']);
  });

  it('reads the etcd timing flags with upstream defaults: compaction every 5m (0 disables), 1m request timeout, 2s readycheck', () => {
    const defaults = parseApiServerFlags([]);
    expect([defaults.etcdCompactionIntervalMs, defaults.requestTimeoutMs, defaults.etcdReadycheckTimeoutMs]).toEqual([300_000, 60_000, 2000]);
    expect(parseApiServerFlags(['--etcd-compaction-interval=0']).etcdCompactionIntervalMs).toBe(0);
    expect(() => parseApiServerFlags(['--request-timeout=0s'])).toThrow(expect.objectContaining({ code: 'KF_APISERVER_FLAG_VALUE', message: '--request-timeout must be greater than 0' }));
    expect(() => parseApiServerFlags(['--etcd-compaction-interval=-1m'])).toThrow(expect.objectContaining({ code: 'KF_APISERVER_FLAG_VALUE' }));
  });

  it('rejects an unknown flag, naming it', () => {
    expect(() => parseApiServerFlags(['--secure-port=1', '--no-such-flag=1'])).toThrow(expect.objectContaining({ code: 'KF_FLAG_UNKNOWN', message: 'kube-apiserver: unknown flag: --no-such-flag', exitCode: 3 }));
  });

  it('honours --tls-min-version (VersionTLS12 by default)', () => {
    expect(parseApiServerFlags([]).tlsMinVersion).toBe('TLSv1.2');
    expect(parseApiServerFlags(['--tls-min-version=VersionTLS13']).tlsMinVersion).toBe('TLSv1.3');
    expect(() => parseApiServerFlags(['--tls-min-version=VersionSSL3'])).toThrow(expect.objectContaining({ code: 'KF_FLAG_INVALID' }));
  });

  it('rejects a stray argument', () => {
    expect(() => parseApiServerFlags(['--secure-port=1', 'serve'])).toThrow(expect.objectContaining({ code: 'KF_FLAG_UNEXPECTED_ARGUMENT', message: 'kube-apiserver: unexpected argument "serve"', exitCode: 3 }));
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
    expect(parseApiServerFlags(['-v=4']).verbosity).toBe(4);
    expect(parseApiServerFlags(['-v', '3']).verbosity).toBe(3);
  });

  it('rejects a non-numeric port and a flag missing its value', () => {
    expect(() => parseApiServerFlags(['--secure-port=abc'])).toThrow(expect.objectContaining({ code: 'KF_FLAG_INVALID', message: 'kube-apiserver: invalid argument "abc" for "--secure-port" flag: expected an integer', exitCode: 3 }));
    expect(() => parseApiServerFlags(['--tls-cert-file'])).toThrow(expect.objectContaining({ code: 'KF_FLAG_INVALID', message: 'kube-apiserver: flag needs an argument: --tls-cert-file' }));
    expect(() => parseApiServerFlags(['--secure-port=70000'])).toThrow(expect.objectContaining({ code: 'KF_APISERVER_FLAG_VALUE' }));
  });

  it('applies upstream defaults and subtracts disabled admission plugins', () => {
    const flags = parseApiServerFlags(['--enable-admission-plugins=NodeRestriction,Foo', '--disable-admission-plugins=Foo']);
    expect(flags.securePort).toBe(6443);
    expect(flags.anonymousAuth).toBe(true);
    expect(flags.admissionPlugins).toEqual(['NodeRestriction']);
    expect(flags.disabledAdmissionPlugins).toEqual(['Foo']);
    expect(flags.etcdPrefix).toBe('/registry');
    expect(flags.authorizationModes).toEqual(['AlwaysAllow']);
  });

  it('accumulates a repeated list flag and drops empty items', () => {
    expect(parseApiServerFlags(['--etcd-servers=https://a:2379,', '--etcd-servers', 'https://b:2379']).etcdServers).toEqual(['https://a:2379', 'https://b:2379']);
  });

  it('reads --service-account-max-token-expiration as a Go duration and rejects garbage', () => {
    expect(parseApiServerFlags([]).serviceAccountMaxTokenSeconds).toBe(0);
    expect(parseApiServerFlags(['--service-account-max-token-expiration=1h30m']).serviceAccountMaxTokenSeconds).toBe(5400);
    expect(parseApiServerFlags(['--service-account-max-token-expiration=86400s']).serviceAccountMaxTokenSeconds).toBe(86_400);
    expect(() => parseApiServerFlags(['--service-account-max-token-expiration=soon'])).toThrow(/expected a duration/);
    expect(() => parseApiServerFlags(['--service-account-max-token-expiration=-1h'])).toThrow(expect.objectContaining({ code: 'KF_APISERVER_FLAG_VALUE' }));
  });
});
