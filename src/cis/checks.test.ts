import { describe, expect, it } from 'vitest';
import type { Accounts } from '../host/index.js';
import { atLeast, file, flag, has, lacks, ownership, permissions } from './checks.js';
import type { NodeFacts } from './facts.js';
import { CONTROL_PLANE_GROUPS } from './controlplane.js';
import { runBenchmark } from './report.js';

const accounts: Accounts = { user: (u) => (u === 0 ? 'root' : u === 999 ? 'etcd' : `u${u}`), group: (g) => (g === 0 ? 'root' : `g${g}`), uidOf: () => undefined, self: { uid: 1000, gid: 1000 } };
const stat = (mode: number, uid = 0, gid = 0) => ({ mode, size: 1, isDirectory: false, mtime: new Date(0), uid, gid });

function facts(over: Partial<NodeFacts> = {}): NodeFacts {
  return { flags: {}, files: new Map(), pki: [], kubelet: undefined, encryptionProviders: undefined, accounts, unprivilegedRoot: false, ...over };
}

describe('CIS audits', () => {
  it('treats permissions as kube-bench\'s bitmask: 600 and 400 pass 600, 640 does not', () => {
    const f = (mode: number) => facts({ files: new Map([['/m', { path: '/m', stat: stat(mode) }]]) });
    expect(permissions(file('/m'), 0o600)(f(0o600))).toEqual({ ok: true, evidence: 'permissions=600 /m' });
    expect(permissions(file('/m'), 0o600)(f(0o400)).ok).toBe(true);
    expect(permissions(file('/m'), 0o600)(f(0o640))).toEqual({ ok: false, evidence: 'permissions=640 /m' });
  });

  it('names owners as stat %U:%G, and takes the invoking user for root:root under an unprivileged relocated root', () => {
    const f = (uid: number, unprivilegedRoot: boolean) => facts({ unprivilegedRoot, files: new Map([['/d', { path: '/d', stat: stat(0o700, uid, uid) }]]) });
    expect(ownership(file('/d'), 'root:root')(f(0, false))).toEqual({ ok: true, evidence: 'ownership=root:root /d' });
    expect(ownership(file('/d'), 'root:root')(f(1000, false)).ok).toBe(false);
    expect(ownership(file('/d'), 'root:root')(f(1000, true)).ok).toBe(true);
    expect(ownership(file('/d'), 'etcd:etcd')(f(0, false))).toEqual({ ok: false, evidence: 'ownership=root:root /d' });
  });

  it('reads flags from the manifests, a missing flag shown as not set', () => {
    const f = facts({ flags: { 'kube-apiserver': new Map([['enable-admission-plugins', 'NodeRestriction,AlwaysAdmit'], ['audit-log-maxage', '7']]) } });
    expect(flag('kube-apiserver', 'enable-admission-plugins', has('NodeRestriction'))(f).ok).toBe(true);
    expect(flag('kube-apiserver', 'enable-admission-plugins', lacks('AlwaysAdmit'))(f)).toEqual({ ok: false, evidence: '--enable-admission-plugins=NodeRestriction,AlwaysAdmit (kube-apiserver)' });
    expect(flag('kube-apiserver', 'audit-log-maxage', atLeast(30))(f).ok).toBe(false);
    expect(flag('kube-apiserver', 'profiling', (v) => v === 'false')(f)).toEqual({ ok: false, evidence: '--profiling not set (kube-apiserver)' });
  });
});

describe('the benchmark report', () => {
  it('FAILs a scored item, WARNs an unscored one or a documented exception, and skips sections whose component is absent', () => {
    const report = runBenchmark(CONTROL_PLANE_GROUPS, facts({ flags: { 'kube-apiserver': new Map([['authorization-mode', 'AlwaysAllow']]) } }));
    expect(report.sections.map((s) => s.id)).toEqual(['1.1', '1.2']);
    const check = (id: string) => report.sections.flatMap((s) => s.checks).find((c) => c.id === id);
    expect(check('1.2.6')).toMatchObject({ status: 'FAIL', scored: true, evidence: '--authorization-mode=AlwaysAllow (kube-apiserver)' });
    expect(check('1.2.15')?.status).toBe('FAIL');
    expect(check('1.2.11')?.status).toBe('WARN');
    expect(check('1.2.5')).toMatchObject({ status: 'WARN', exception: expect.stringMatching(/self-signed/) });
    expect(report.totals.fail).toBeGreaterThan(5);
  });
});
