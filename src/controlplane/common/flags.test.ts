import { describe, expect, it } from 'vitest';
import { acceptedFlag, flag, parseFlags } from './flags.js';

const TABLE = [
  flag('kubeconfig'),
  flag('secure-port', 'int', '10257'),
  flag('leader-elect', 'bool', 'true'),
  flag('cluster-signing-duration', 'duration', '8760h'),
  flag('controllers', 'list', '*'),
  flag('v', 'int', '0', 'v'),
  acceptedFlag('profiling', 'bool'),
  flag('tls-min-version', 'tls-version'),
];
const parse = (...argv: string[]) => parseFlags(TABLE, argv, 'kube-controller-manager');

describe('flag parsing', () => {
  it('fills defaults for flags not given', () => {
    const f = parse();
    expect([f.int('secure-port'), f.bool('leader-elect'), f.duration('cluster-signing-duration'), f.list('controllers'), f.string('kubeconfig')]).toEqual([10257, true, 8760 * 3_600_000, ['*'], undefined]);
  });

  it('reads durations with Go\'s grammar, in milliseconds', () => {
    expect(['40s', '1h30m', '1.5s', '500ms', '0'].map((d) => parse(`--cluster-signing-duration=${d}`).duration('cluster-signing-duration'))).toEqual([40_000, 90 * 60_000, 1500, 500, 0]);
    for (const bad of ['40', '3d', '']) expect(() => parse(`--cluster-signing-duration=${bad}`)).toThrow(expect.objectContaining({ code: 'KF_FLAG_INVALID' }));
  });

  it('reads --tls-min-version with Go\'s names as Node\'s, TLS 1.2 when not given', () => {
    expect(['VersionTLS12', 'VersionTLS13', ''].map((v) => parse(`--tls-min-version=${v}`).tlsVersion('tls-min-version'))).toEqual(['TLSv1.2', 'TLSv1.3', 'TLSv1.2']);
    expect(parse().tlsVersion('tls-min-version')).toBe('TLSv1.2');
    expect(() => parse('--tls-min-version=TLS13')).toThrow(expect.objectContaining({ code: 'KF_FLAG_INVALID', message: expect.stringContaining('one of VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13') }));
  });

  it('reads --name=value and --name value', () => {
    const f = parse('--kubeconfig=/etc/kubernetes/controller-manager.conf', '--secure-port', '0');
    expect(f.string('kubeconfig')).toBe('/etc/kubernetes/controller-manager.conf');
    expect(f.int('secure-port')).toBe(0);
  });

  it('reads bools bare, =true and =false', () => {
    expect(parse('--leader-elect=false').bool('leader-elect')).toBe(false);
    expect(parse('--leader-elect').bool('leader-elect')).toBe(true);
    expect(parse('--leader-elect=True').bool('leader-elect')).toBe(true);
  });

  it('reads the shorthand -v=2 and -v 2', () => {
    expect(parse('-v=2').int('v')).toBe(2);
    expect(parse('-v', '4').int('v')).toBe(4);
    expect(parse('--v=3').int('v')).toBe(3);
  });

  it('reads kubeadm\'s --controllers list', () => {
    expect(parse('--controllers=*,bootstrapsigner,tokencleaner').list('controllers')).toEqual(['*', 'bootstrapsigner', 'tokencleaner']);
  });

  it('accepts compatibility flags and reports them as ignored', () => {
    const f = parse('--profiling=false', '--kubeconfig=x');
    expect(f.ignored).toEqual(['profiling']);
    expect([...f.given].sort()).toEqual(['kubeconfig', 'profiling']);
  });

  it('rejects an unknown flag, naming it', () => {
    expect(() => parse('--kubeconfig=x', '--bogus=1')).toThrow(expect.objectContaining({ code: 'KF_FLAG_UNKNOWN', message: 'kube-controller-manager: unknown flag: --bogus', exitCode: 3 }));
  });

  it('rejects a single-dash long flag as pflag does', () => {
    expect(() => parse('-kubeconfig=x')).toThrow(expect.objectContaining({ code: 'KF_FLAG_UNKNOWN' }));
  });

  it('rejects bad values with the flag name and the expected form', () => {
    expect(() => parse('--secure-port=abc')).toThrow(expect.objectContaining({ code: 'KF_FLAG_INVALID', message: expect.stringContaining('"--secure-port"') }));
    expect(() => parse('--cluster-signing-duration=1y')).toThrow(/a duration/);
    expect(() => parse('--leader-elect=maybe')).toThrow(/true or false/);
  });

  it('rejects a value flag at the end without its value, and stray arguments', () => {
    expect(() => parse('--kubeconfig')).toThrow(expect.objectContaining({ code: 'KF_FLAG_INVALID' }));
    expect(() => parse('extra')).toThrow(expect.objectContaining({ code: 'KF_FLAG_UNEXPECTED_ARGUMENT' }));
  });

  it('refuses to read a flag as the wrong type (a programming error)', () => {
    expect(() => parse().bool('secure-port')).toThrow(/not a bool flag/);
  });
});
