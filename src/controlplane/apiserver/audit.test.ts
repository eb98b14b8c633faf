import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTemplate } from '../../host/templates.js';
import { auditLogOptions, backupName, openAuditLog } from './audit-log.js';
import { evaluatePolicy, parseAuditPolicy } from './audit.js';
import { parseRequestInfo } from './requestinfo.js';

const policy = parseAuditPolicy(readTemplate('audit-policy.yaml'));
const admin = { name: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] };
const node = { name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const level = (method: string, url: string, user = admin) => evaluatePolicy(policy, user, parseRequestInfo(method, url, new URLSearchParams())).level;

describe("kubeforge's audit policy", () => {
  it.each([
    ['POST', '/api/v1/namespaces/default/secrets', 'Metadata'],
    ['PUT', '/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef', 'Metadata'],
    ['POST', '/api/v1/namespaces/kube-public/configmaps', 'Metadata'],
    ['POST', '/api/v1/namespaces/default/serviceaccounts/default/token', 'Metadata'],
    ['POST', '/apis/authentication.k8s.io/v1/tokenreviews', 'Metadata'],
    ['GET', '/api/v1/pods', 'Metadata'],
    ['POST', '/api/v1/namespaces', 'Request'],
    ['GET', '/livez', 'None'],
    ['GET', '/readyz/etcd', 'None'],
  ])('logs %s %s at %s', (method, url, expected) => {
    expect(level(method, url)).toBe(expected);
  });

  it('drops lease renewals and omits the RequestReceived stage', () => {
    expect(level('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', node)).toBe('None');
    expect(evaluatePolicy(policy, admin, parseRequestInfo('POST', '/api/v1/namespaces', new URLSearchParams())).omitStages).toContain('RequestReceived');
  });
});

describe('audit policy rules', () => {
  const rules = (yaml: string) => parseAuditPolicy(`apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n${yaml}`);
  it('matches users, groups, namespaces, subresources and resource names', () => {
    const p = rules(
      [
        '- level: RequestResponse\n  users: [alice]',
        '- level: Request\n  userGroups: [system:nodes]\n  resources: [{group: "", resources: ["pods/status"]}]',
        '- level: Metadata\n  namespaces: [kube-system]\n  resources: [{group: "", resources: ["configmaps"], resourceNames: [kubeadm-config]}]',
      ].join('\n'),
    );
    const at = (user: typeof admin, method: string, url: string) => evaluatePolicy(p, user, parseRequestInfo(method, url, new URLSearchParams())).level;
    expect(at({ name: 'alice', groups: [] }, 'GET', '/api/v1/pods')).toBe('RequestResponse');
    expect(at(node, 'PATCH', '/api/v1/namespaces/default/pods/p/status')).toBe('Request');
    expect(at(node, 'PATCH', '/api/v1/namespaces/default/pods/p')).toBe('None');
    expect(at(admin, 'GET', '/api/v1/namespaces/kube-system/configmaps/kubeadm-config')).toBe('Metadata');
    expect(at(admin, 'GET', '/api/v1/namespaces/default/configmaps/kubeadm-config')).toBe('None');
  });

  it.each([
    ['no rules', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n', /at least one rule/],
    ['a bad level', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n', /rules\[0\]\.level/],
    ['a bad stage', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Sometimes]\nrules:\n- level: None\n', /unknown stage "Sometimes"/],
    ['resources with URLs', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: [/x]\n  resources: [{group: ""}]\n', /both regular resources and non-resource/],
    ['another kind', 'apiVersion: v1\nkind: ConfigMap\n', /kind Policy/],
  ])('refuses a policy with %s', (_what, text, message) => {
    expect(() => parseAuditPolicy(text)).toThrow(message);
  });
});

describe('the audit log file', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('rotates past maxsize into timestamped backups, keeps maxbackup of them, and writes 0600', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kf-audit-'));
    const file = path.join(dir, 'audit.log');
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const log = openAuditLog({ ...auditLogOptions(file, 1, 2, 0), maxSizeBytes: 100, now: () => new Date(clock) });
    for (let i = 0; i < 10; i++) {
      clock += 1000;
      log.write(`${JSON.stringify({ i, pad: 'x'.repeat(40) })}\n`);
    }
    log.close();
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(['audit-2026-01-01T00-00-09.000.log', 'audit-2026-01-01T00-00-10.000.log', 'audit.log']);
    expect(JSON.parse((await readFile(file, 'utf8')).trim()).i).toBe(9);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('removes backups older than maxage days', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kf-audit-'));
    const file = path.join(dir, 'audit.log');
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const log = openAuditLog({ ...auditLogOptions(file, 1, 0, 1), maxSizeBytes: 10, now: () => new Date(clock) });
    log.write('first line, long enough\n');
    log.write('second line rotates\n');
    clock += 3 * 24 * 3600 * 1000;
    log.write('third line rotates and prunes\n');
    log.close();
    expect((await readdir(dir)).sort()).toEqual([path.basename(backupName(file, new Date(clock))), 'audit.log']);
  });
});
