/**
 * Encryption at rest and auditing against a real etcd, with the files kubeforge init writes:
 * the EncryptionConfiguration (aescbc + identity) and templates/audit-policy.yaml.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptionConfiguration } from '../../src/pki/index.js';
import { TEMPLATES_DIR } from '../../src/host/templates.js';
import { apiRequest, startTestCluster, type TestCluster } from '../helpers/apiserver-harness.js';

let cluster: TestCluster;
let files: string;
const auditLog = () => path.join(files, 'audit', 'audit.log');
const KEY = Buffer.alloc(32, 7);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- events are checked field by field
type AuditEvent = Record<string, any>;

async function auditEvents(): Promise<AuditEvent[]> {
  const text = await readFile(auditLog(), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line));
}

async function waitForEvent(match: (e: AuditEvent) => boolean): Promise<AuditEvent> {
  for (let i = 0; i < 100; i++) {
    const found = (await auditEvents().catch(() => [])).find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no matching audit event');
}

beforeAll(async () => {
  files = await mkdtemp(path.join(os.tmpdir(), 'kf-enc-audit-'));
  await writeFile(path.join(files, 'encryption-config.yaml'), encryptionConfiguration('key1', KEY), { mode: 0o600 });
  cluster = await startTestCluster({
    extraArgs: [
      `--encryption-provider-config=${path.join(files, 'encryption-config.yaml')}`,
      `--audit-policy-file=${path.join(TEMPLATES_DIR, 'audit-policy.yaml')}`,
      `--audit-log-path=${auditLog()}`,
      '--audit-log-maxsize=100', '--audit-log-maxbackup=10', '--audit-log-maxage=30',
      '--profiling=false',
    ],
  });
});
afterAll(async () => {
  await cluster?.stop();
  if (files) await rm(files, { recursive: true, force: true });
});

describe('encryption at rest', () => {
  it('stores a Secret created with kubectl as k8s:enc:aescbc:v1:key1: ciphertext and serves it decrypted', async () => {
    expect((await cluster.kubectl(['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2-plaintext'])).code).toBe(0);
    const raw = await cluster.etcdctl(['get', '/registry/secrets/default/db', '--print-value-only']);
    expect(raw.code).toBe(0);
    expect(raw.stdout.startsWith('k8s:enc:aescbc:v1:key1:')).toBe(true);
    expect(raw.stdout).not.toContain('hunter2');
    expect(raw.stdout).not.toContain(Buffer.from('hunter2-plaintext').toString('base64'));
    const got = await cluster.kubectl(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    expect(Buffer.from(got.stdout, 'base64').toString()).toBe('hunter2-plaintext');
  });

  it('lists and watches encrypted Secrets as plain objects', async () => {
    const list = await cluster.kubectl(['get', 'secrets', '-o', 'name']);
    expect(list.stdout).toContain('secret/db');
    const watch = await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=1', { client: cluster.pki.admin });
    expect(watch.text).toContain('"name":"db"');
  });

  it('reads a Secret written before encryption was on (identity fallback) and leaves other kinds plain', async () => {
    const plain = JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'old', namespace: 'default', uid: 'u-1', creationTimestamp: '2024-01-01T00:00:00Z' }, type: 'Opaque', data: { a: 'YQ==' } });
    expect((await cluster.etcdctl(['put', '/registry/secrets/default/old', plain])).code).toBe(0);
    expect((await cluster.kubectl(['get', 'secret', 'old', '-o', 'jsonpath={.data.a}'])).stdout).toBe('YQ==');
    expect((await cluster.kubectl(['create', 'configmap', 'cm1', '--from-literal=k=visible'])).code).toBe(0);
    expect((await cluster.etcdctl(['get', '/registry/configmaps/default/cm1', '--print-value-only'])).stdout).toContain('visible');
  });
});

describe('audit log', () => {
  it('records kubectl create secret at Metadata level, naming the Secret, without its data', async () => {
    expect((await cluster.kubectl(['create', 'secret', 'generic', 'audited', '--from-literal=token=s3cr3t-value'])).code).toBe(0);
    const event = await waitForEvent((e) => e.verb === 'create' && e.objectRef?.resource === 'secrets' && e.objectRef?.name === 'audited');
    expect(event).toMatchObject({
      kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', stage: 'ResponseComplete',
      user: { username: 'kubernetes-admin' }, objectRef: { resource: 'secrets', namespace: 'default', name: 'audited', apiVersion: 'v1' },
      responseStatus: { code: 201 }, annotations: { 'authorization.k8s.io/decision': 'allow' },
    });
    expect(event.requestObject).toBeUndefined();
    expect(event.auditID).toMatch(/^[0-9a-f-]{36}$/);
    const log = await readFile(auditLog(), 'utf8');
    expect(log).not.toContain('s3cr3t-value');
    expect(log).not.toContain(Buffer.from('s3cr3t-value').toString('base64'));
  });

  it('records other writes at Request level with their body, and answers with an Audit-Id header', async () => {
    const res = await apiRequest(cluster.url, cluster.pki, '/api/v1/namespaces', { method: 'POST', client: cluster.pki.admin, body: { metadata: { name: 'audited-ns', labels: { team: 'blue' } } } });
    expect(res.status).toBe(201);
    const id = res.headers['audit-id'];
    const event = await waitForEvent((e) => e.auditID === id);
    expect(event).toMatchObject({ level: 'Request', verb: 'create', objectRef: { resource: 'namespaces', name: 'audited-ns' }, requestObject: { metadata: { labels: { team: 'blue' } } } });
  });

  it('records a forbidden request with the decision, and skips health probes', async () => {
    await apiRequest(cluster.url, cluster.pki, '/livez');
    const nobody = await cluster.userKubeconfig('nobody', { cn: 'nobody' });
    expect((await cluster.kubectl(['get', 'secrets'], { kubeconfig: nobody })).code).not.toBe(0);
    const event = await waitForEvent((e) => e.user?.username === 'nobody' && e.objectRef?.resource === 'secrets');
    expect(event).toMatchObject({ level: 'Metadata', verb: 'list', responseStatus: { code: 403, status: 'Failure' }, annotations: { 'authorization.k8s.io/decision': 'forbid' } });
    expect((await auditEvents()).some((e) => e.requestURI === '/livez')).toBe(false);
  });

  it('writes the log 0600', async () => {
    expect((await stat(auditLog())).mode & 0o777).toBe(0o600);
  });
});

describe('profiling', () => {
  it('serves no /debug/pprof with --profiling=false, even to an admin', async () => {
    const res = await apiRequest(cluster.url, cluster.pki, '/debug/pprof/', { client: cluster.pki.admin });
    expect(res.status).toBe(404);
  });
});
