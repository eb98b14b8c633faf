/** `kubeforge certs check-expiration | renew | inspect | verify` through the built CLI, checked with openssl. */
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:tls';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge } from '../helpers/cli.js';
import { cleanupAll, copyRoot, initialisedRoot, KUBECONFIGS, kubeconfigCert, LEAVES, newDir, openssl, PKI, snapshot } from './certs-helpers.js';

let base: string;
beforeAll(async () => {
  base = await initialisedRoot();
}, 240_000);
afterAll(cleanupAll);

describe('kubeforge certs check-expiration', () => {
  it("prints kubeadm's two tables, rows sorted by name, dates as openssl reads them", async () => {
    const result = await kubeforge(['certs', 'check-expiration', '--root', base]);
    expect(result.exitCode, result.stderr).toBe(0);
    const [certs, cas] = result.stdout.split('\n\n');
    const lines = certs!.split('\n');
    expect(lines[0]).toBe('CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED');
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      'admin.conf', 'apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'controller-manager.conf', 'etcd-healthcheck-client',
      'etcd-peer', 'etcd-server', 'front-proxy-client', 'scheduler.conf', 'super-admin.conf',
    ]);
    const end = new Date((await openssl(['x509', '-in', path.join(base, PKI, 'apiserver.crt'), '-noout', '-enddate'])).trim().replace('notAfter=', ''));
    const expires = `${end.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${String(end.getUTCDate()).padStart(2, '0')}, ${end.getUTCFullYear()}`;
    expect(lines[2]).toMatch(new RegExp(`^apiserver {18}${expires} \\d\\d:\\d\\d UTC   36[45]d {12}ca {22}no {6}$`));
    expect(cas!.split('\n')[0]).toBe('CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED');
    const caRows = cas!.split('\n').slice(1).map((l) => l.split(/ {2,}/));
    expect(caRows.map(([name, , residual, managed]) => `${name} ${residual} ${managed}`)).toEqual(['ca 9y no', 'etcd-ca 9y no', 'front-proxy-ca 9y no']);
  });

  it('gives a CertificateExpirationInfo with -o json, and the same in yaml', async () => {
    const json = await kubeforge(['certs', 'check-expiration', '--root', base, '-o', 'json']);
    const info = JSON.parse(json.stdout) as { kind: string; apiVersion: string; certificates: { name: string; residualTime: number; caName: string; missing: boolean; externallyManaged: boolean }[]; certificateAuthorities: unknown[] };
    expect(info.kind).toBe('CertificateExpirationInfo');
    expect(info.apiVersion).toBe('output.kubeadm.k8s.io/v1alpha3');
    expect(info.certificates).toHaveLength(11);
    expect(info.certificateAuthorities).toHaveLength(3);
    const apiserver = info.certificates.find((c) => c.name === 'apiserver')!;
    expect(apiserver).toMatchObject({ caName: 'ca', missing: false, externallyManaged: false });
    expect(apiserver.residualTime).toBeGreaterThan(364 * 86400);
    const yaml = await kubeforge(['certs', 'check-expiration', '--root', base, '-o', 'yaml']);
    expect(yaml.stdout).toContain('kind: CertificateExpirationInfo');
  });

  it('exits 4 with --warn-within when something expires sooner, 0 otherwise', async () => {
    const soon = await kubeforge(['certs', 'check-expiration', '--root', base, '--warn-within', '400d']);
    expect(soon.exitCode).toBe(4);
    expect(soon.stderr).toContain('expiring within 400d: admin.conf, apiserver');
    expect((await kubeforge(['certs', 'check-expiration', '--root', base, '--warn-within', '720h'])).exitCode).toBe(0);
  });
});

describe('kubeforge certs renew', () => {
  const serial = async (file: string) => (await openssl(['x509', '-in', file, '-noout', '-serial'])).trim();
  const sans = async (file: string) => (await openssl(['x509', '-in', file, '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage'])).trim();

  it('renews all: every serial differs, subjects, SANs and usages unchanged, pods marked for restart', async () => {
    const dir = await copyRoot(base);
    const files = LEAVES.map((l) => path.join(dir, PKI, `${l}.crt`));
    const before = await Promise.all(files.map(async (f) => ({ serial: await serial(f), sans: await sans(f) })));
    const kcBefore = await Promise.all(KUBECONFIGS.map((k) => kubeconfigCert(path.join(dir, 'etc/kubernetes', k))));
    const result = await kubeforge(['certs', 'renew', 'all', '--root', dir]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('certificate for serving the Kubernetes API renewed');
    expect(result.stdout).toContain('Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.');
    expect(result.stdout).toContain('etcd, kube-apiserver, kube-controller-manager, kube-scheduler');
    for (const [i, f] of files.entries()) {
      expect(await serial(f)).not.toBe(before[i]!.serial);
      expect(await sans(f)).toBe(before[i]!.sans);
      await openssl(['verify', '-CAfile', path.join(dir, PKI, f.includes('/etcd/') || f.includes('etcd-client') ? 'etcd/ca.crt' : f.includes('front-proxy') ? 'front-proxy-ca.crt' : 'ca.crt'), f]);
    }
    for (const [i, k] of KUBECONFIGS.entries()) {
      const pem = await kubeconfigCert(path.join(dir, 'etc/kubernetes', k));
      expect(await openssl(['x509', '-noout', '-serial'], pem)).not.toBe(await openssl(['x509', '-noout', '-serial'], kcBefore[i]));
      await openssl(['verify', '-CAfile', path.join(dir, PKI, 'ca.crt')], pem);
    }
    expect(await readFile(path.join(dir, 'etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8')).toMatch(/kubeforge\.io\/certs-renewed-at: "\d{4}-/);
  });

  it('renews one kubeconfig in place, changing only its embedded credentials', async () => {
    const dir = await copyRoot(base);
    const file = path.join(dir, 'etc/kubernetes/scheduler.conf');
    const before = await readFile(file, 'utf8');
    const result = await kubeforge(['certs', 'renew', 'scheduler.conf', '--root', dir]);
    expect(result.exitCode, result.stderr).toBe(0);
    const after = await readFile(file, 'utf8');
    const strip = (t: string) => t.replace(/client-(certificate|key)-data: \S+/g, '');
    expect(strip(after)).toBe(strip(before));
    expect(after).not.toBe(before);
    expect(result.stdout).toContain('kubeforge marked the manifests of kube-scheduler');
  });

  it('refuses, changes nothing and exits 1 when the CA key is absent (externally managed)', async () => {
    const dir = await copyRoot(base);
    await rm(path.join(dir, PKI, 'front-proxy-ca.key'));
    const before = await snapshot(dir);
    const result = await kubeforge(['certs', 'renew', 'all', '--root', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('externally managed: the key of front-proxy-ca is absent, so front-proxy-client cannot be renewed here; nothing was renewed');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('rejects an unknown name with the list of names (exit 3), changing nothing', async () => {
    const dir = await copyRoot(base);
    const before = await snapshot(dir);
    const result = await kubeforge(['certs', 'renew', 'apiservr', '--root', dir]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('unknown certificate "apiservr": use one of admin.conf, apiserver, apiserver-etcd-client');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('writes nothing with --dry-run', async () => {
    const dir = await copyRoot(base);
    const before = await snapshot(dir);
    const result = await kubeforge(['certs', 'renew', 'apiserver', '--root', dir, '--dry-run']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('certificate for serving the Kubernetes API would be renewed');
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('kubeforge certs inspect', () => {
  it('shows a file: subject, SANs, usages, key, fingerprint as openssl computes it, and its kubeadm role', async () => {
    const file = path.join(base, PKI, 'etcd/server.crt');
    const result = await kubeforge(['certs', 'inspect', file, '-o', 'json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [cert] = (JSON.parse(result.stdout) as { certificates: { role: { name: string }; extKeyUsage: string[]; ipAddresses: string[]; sha256Fingerprint: string; spkiPin: string }[] }).certificates;
    expect(cert!.role.name).toBe('etcd-server');
    expect(cert!.extKeyUsage).toEqual(['serverAuth', 'clientAuth']);
    expect(cert!.ipAddresses).toContain('127.0.0.1');
    expect(cert!.sha256Fingerprint).toBe((await openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha256'])).trim().split('=')[1]);
  });

  it('walks a directory, naming every certificate by its role', async () => {
    const result = await kubeforge(['certs', 'inspect', path.join(base, PKI)]);
    expect(result.exitCode, result.stderr).toBe(0);
    const roles = [...result.stdout.matchAll(/Role: +(\S+)/g)].map((m) => m[1]);
    expect(roles.sort()).toEqual(['apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'ca', 'etcd-ca', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server', 'front-proxy-ca', 'front-proxy-client']);
  });

  it("shows a kubeconfig's CA and client certificate", async () => {
    const result = await kubeforge(['certs', 'inspect', path.join(base, 'etc/kubernetes/admin.conf')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/admin\.conf \(cluster kubernetes CA\)\n {2}Role: +ca /);
    expect(result.stdout).toMatch(/admin\.conf \(user kubernetes-admin\)\n {2}Role: +admin\.conf /);
  });

  it('shows the chain a live TLS server presents', async () => {
    const pki = path.join(base, PKI);
    const chain = (await readFile(path.join(pki, 'apiserver.crt'), 'utf8')) + (await readFile(path.join(pki, 'ca.crt'), 'utf8'));
    const server: Server = createServer({ cert: chain, key: await readFile(path.join(pki, 'apiserver.key')) }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const result = await kubeforge(['certs', 'inspect', `https://127.0.0.1:${port}`]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} #1\\n  Role: +apiserver `));
      expect(result.stdout).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} #2\\n  Role: +ca `));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('kubeforge certs verify', () => {
  it('finds nothing wrong on a fresh PKI', async () => {
    const result = await kubeforge(['certs', 'verify', '--root', base]);
    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^All \d+ certificates, keys and kubeconfigs are in order\.$/);
  });

  it('reports exactly the certificate replaced by one from another CA, with its fix, exit 1', async () => {
    const dir = await copyRoot(base);
    const other = await newDir();
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${other}/ca.key`, '-out', `${other}/ca.crt`, '-days', '30', '-subj', '/CN=other-ca', '-addext', 'basicConstraints=critical,CA:TRUE']);
    await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, PKI, 'apiserver-kubelet-client.key'), '-out', `${other}/c.csr`, '-subj', '/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client']);
    await writeFile(`${other}/ext`, 'extendedKeyUsage=clientAuth\n');
    await openssl(['x509', '-req', '-in', `${other}/c.csr`, '-CA', `${other}/ca.crt`, '-CAkey', `${other}/ca.key`, '-days', '300', '-extfile', `${other}/ext`, '-out', path.join(dir, PKI, 'apiserver-kubelet-client.crt')]);
    const result = await kubeforge(['certs', 'verify', '--root', dir, '-o', 'json']);
    expect(result.exitCode).toBe(1);
    const { findings } = JSON.parse(result.stdout) as { findings: { severity: string; subject: string; message: string; fix: string }[] };
    expect(findings).toEqual([expect.objectContaining({ severity: 'error', subject: 'apiserver-kubelet-client', fix: 'kubeforge certs renew apiserver-kubelet-client' })]);
    expect(findings[0]!.message).toContain('is not signed by the ca CA');
  });

  it('flags a key file others can read', async () => {
    const dir = await copyRoot(base);
    await chmod(path.join(dir, PKI, 'apiserver.key'), 0o644);
    const result = await kubeforge(['certs', 'verify', '--root', dir]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`[WARNING] apiserver: ${path.join(dir, PKI, 'apiserver.key')} has mode 0644`);
  });
});
