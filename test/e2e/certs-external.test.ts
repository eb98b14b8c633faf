/** External CA mode (generate-csr → openssl signs → init uses them) and the bad input of issue 7, through the built CLI. */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge } from '../helpers/cli.js';
import { buildKubeconfig } from '../../src/kubeconfig/index.js';
import { parsePrivateKeyPem, signCertificate } from '../../src/pki/index.js';
import { cleanupAll, copyRoot, initialisedRoot, newDir, openssl, PKI, snapshot } from './certs-helpers.js';

afterAll(cleanupAll);

describe('external CA: generate-csr, signed by openssl, used by init', () => {
  const CAS = [['ca', 'kubernetes'], ['front-proxy-ca', 'front-proxy-ca'], ['etcd/ca', 'etcd-ca']] as const;
  const LEAF_SIGNERS: Record<string, [string, string]> = {
    apiserver: ['ca', 'serverAuth'], 'apiserver-kubelet-client': ['ca', 'clientAuth'], 'front-proxy-client': ['front-proxy-ca', 'clientAuth'],
    'etcd/server': ['etcd/ca', 'serverAuth,clientAuth'], 'etcd/peer': ['etcd/ca', 'serverAuth,clientAuth'],
    'etcd/healthcheck-client': ['etcd/ca', 'clientAuth'], 'apiserver-etcd-client': ['etcd/ca', 'clientAuth'],
  };

  it('init completes with the signed certificates and check-expiration shows them externally managed', async () => {
    const root = await newDir();
    const vault = await newDir('kf-vault-');
    const pki = path.join(root, PKI);
    await mkdir(path.join(pki, 'etcd'), { recursive: true });
    await mkdir(path.join(vault, 'etcd'), { recursive: true });
    for (const [base, cn] of CAS) {
      await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(vault, `${base}.key`), '-out', path.join(vault, `${base}.crt`), '-days', '3650', '-subj', `/CN=${cn}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign']);
      await writeFile(path.join(pki, `${base}.crt`), await readFile(path.join(vault, `${base}.crt`)));
    }
    const csr = await kubeforge(['certs', 'generate-csr', '--root', root]);
    expect(csr.exitCode, csr.stderr).toBe(0);
    const sign = async (csrFile: string, ca: string, usage: string, out: string) => {
      const ext = `${csrFile}.ext`;
      await writeFile(ext, `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${usage}\n`);
      await openssl(['x509', '-req', '-in', csrFile, '-CA', path.join(vault, `${ca}.crt`), '-CAkey', path.join(vault, `${ca}.key`), '-CAcreateserial', '-CAserial', path.join(vault, 'serial'),
        '-copy_extensions', 'copyall', '-extfile', ext, '-days', '365', '-out', out]);
      await rm(ext);
    };
    for (const [leaf, [ca, usage]] of Object.entries(LEAF_SIGNERS)) await sign(path.join(pki, `${leaf}.csr`), ca, usage, path.join(pki, `${leaf}.crt`));
    for (const conf of ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'controller-manager.conf', 'scheduler.conf']) {
      const file = path.join(root, 'etc/kubernetes', conf);
      await sign(`${file}.csr`, 'ca', 'clientAuth', `${file}.crt`);
      const cert = Buffer.from(await readFile(`${file}.crt`)).toString('base64');
      await writeFile(file, (await readFile(file, 'utf8')).replace(/^(\s*)client-key-data:/m, `$1client-certificate-data: ${cert}\n$1client-key-data:`), { mode: 0o600 });
      await rm(`${file}.crt`);
    }
    for (const phase of [['certs', 'all'], ['kubeconfig', 'all'], ['control-plane', 'all']]) {
      const result = await kubeforge(['init', 'phase', ...phase, '--root', root]);
      expect(result.exitCode, result.stderr).toBe(0);
      if (phase[0] === 'certs') expect(result.stderr).toContain('Using existing ca keyless certificate authority');
    }
    const check = await kubeforge(['certs', 'check-expiration', '--root', root, '-o', 'json']);
    const info = JSON.parse(check.stdout) as { certificates: { name: string; externallyManaged: boolean; missing: boolean }[]; certificateAuthorities: { externallyManaged: boolean }[] };
    expect(info.certificates.every((c) => c.externallyManaged && !c.missing)).toBe(true);
    expect(info.certificateAuthorities.every((c) => c.externallyManaged)).toBe(true);
    const table = await kubeforge(['certs', 'check-expiration', '--root', root]);
    expect(table.stdout).toMatch(/^apiserver +\w{3} \d\d, \d{4} \d\d:\d\d UTC +36[45]d +ca +yes/m);
    const renew = await kubeforge(['certs', 'renew', 'apiserver', '--root', root]);
    expect(renew.exitCode).toBe(1);
    expect(renew.stderr).toContain('externally managed');
  });

  it('generate-csr refuses to overwrite an existing PKI', async () => {
    const root = await newDir();
    expect((await kubeforge(['certs', 'generate-csr', '--root', root])).exitCode).toBe(0);
    const before = await snapshot(root);
    const again = await kubeforge(['certs', 'generate-csr', '--root', root]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('generate-csr would overwrite');
    expect(await snapshot(root)).toEqual(before);
  });
});

describe('bad input: a clear message, no file changed', () => {
  let base: string;
  beforeAll(async () => {
    base = await initialisedRoot();
  }, 240_000);

  it('a directory with no PKI', async () => {
    const dir = await newDir();
    const check = await kubeforge(['certs', 'check-expiration', '--root', dir]);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).toContain(`no certificate of a kubeforge (kubeadm) PKI was found in ${dir}/etc/kubernetes/pki`);
    const inspect = await kubeforge(['certs', 'inspect', dir]);
    expect(inspect.stderr).toContain(`${dir} holds no certificate`);
    const renew = await kubeforge(['certs', 'renew', 'all', '--root', dir]);
    expect(renew.exitCode).toBe(1);
    expect(renew.stderr).toMatch(/CA certificate .*ca\.crt does not exist/);
    expect(await snapshot(dir)).toEqual({});
  });

  it('a PEM with garbage', async () => {
    const dir = await copyRoot(base);
    const file = path.join(dir, PKI, 'apiserver.crt');
    await writeFile(file, '-----BEGIN CERTIFICATE-----\nTUlJQ2dhcmJhZ2VnYXJiYWdl\n-----END CERTIFICATE-----\n');
    const before = await snapshot(dir);
    const check = await kubeforge(['certs', 'check-expiration', '--root', dir]);
    expect(check.exitCode).toBe(3);
    expect(check.stderr).toContain(`${file} is not a valid PEM certificate`);
    const inspect = await kubeforge(['certs', 'inspect', file]);
    expect(inspect.exitCode).toBe(3);
    expect(inspect.stderr).toContain(`${file}: the certificate is malformed`);
    expect((await kubeforge(['certs', 'renew', 'apiserver', '--root', dir])).stderr).toContain(`${file} is not a valid PEM certificate`);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a DER file is read as DER', async () => {
    const dir = await newDir();
    await openssl(['x509', '-in', path.join(base, PKI, 'apiserver.crt'), '-outform', 'DER', '-out', path.join(dir, 'apiserver.der')]);
    const result = await kubeforge(['certs', 'inspect', path.join(dir, 'apiserver.der')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/apiserver\.der \(DER\)\n {2}Role: +apiserver /);
  });

  it('a certificate chain file shows every certificate in order', async () => {
    const dir = await newDir();
    const chain = path.join(dir, 'chain.pem');
    await writeFile(chain, (await readFile(path.join(base, PKI, 'front-proxy-client.crt'), 'utf8')) + (await readFile(path.join(base, PKI, 'front-proxy-ca.crt'), 'utf8')));
    const result = await kubeforge(['certs', 'inspect', chain]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/chain\.pem#1\n {2}Role: +front-proxy-client [\s\S]*chain\.pem#2\n {2}Role: +front-proxy-ca /);
  });

  it('a key without its certificate', async () => {
    const dir = await copyRoot(base);
    await rm(path.join(dir, PKI, 'apiserver.crt'));
    const before = await snapshot(dir);
    const inspect = await kubeforge(['certs', 'inspect', path.join(dir, PKI, 'apiserver.key')]);
    expect(inspect.exitCode).toBe(3);
    expect(inspect.stderr).toContain('it holds a PEM RSA PRIVATE KEY block, not a certificate (a key without its certificate)');
    const renew = await kubeforge(['certs', 'renew', 'apiserver', '--root', dir]);
    expect(renew.exitCode).toBe(1);
    expect(renew.stderr).toContain(`${path.join(dir, PKI, 'apiserver.crt')} does not exist: there is nothing to renew`);
    expect((await kubeforge(['certs', 'check-expiration', '--root', dir])).stdout).toContain('!MISSING! apiserver');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('an expired CA', async () => {
    const dir = await copyRoot(base);
    const key = parsePrivateKeyPem(await readFile(path.join(dir, PKI, 'ca.key')));
    const day = 24 * 3600 * 1000;
    const expired = signCertificate(
      { subject: { commonName: 'kubernetes', organizations: [] }, altNames: { dnsNames: ['kubernetes'], ips: [] }, usages: [], isCA: true, notBefore: new Date(Date.now() - 20 * day), notAfter: new Date(Date.now() - day) },
      key,
    );
    await writeFile(path.join(dir, PKI, 'ca.crt'), expired);
    const before = await snapshot(dir);
    const renew = await kubeforge(['certs', 'renew', 'apiserver', '--root', dir]);
    expect(renew.exitCode).toBe(3);
    expect(renew.stderr).toContain('CA ca (');
    expect(renew.stderr).toContain('expired on');
    const check = await kubeforge(['certs', 'check-expiration', '--root', dir]);
    expect(check.stdout).toMatch(/^ca +\w{3} \d\d, \d{4} \d\d:\d\d UTC +<invalid> +no/m);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a kubeconfig with a token instead of a certificate', async () => {
    const dir = await copyRoot(base);
    const file = path.join(dir, 'etc/kubernetes/admin.conf');
    await writeFile(file, buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.1:6443', caPem: await readFile(path.join(dir, PKI, 'ca.crt'), 'utf8'), userName: 'admin', token: 'abcdef.0123456789abcdef' }), { mode: 0o600 });
    const before = await snapshot(dir);
    const check = await kubeforge(['certs', 'check-expiration', '--root', dir]);
    expect(check.exitCode).toBe(3);
    expect(check.stderr).toContain(`${file} has no client certificate: it authenticates with a token`);
    expect((await kubeforge(['certs', 'renew', 'admin.conf', '--root', dir])).stderr).toContain('it authenticates with a token');
    const inspect = await kubeforge(['certs', 'inspect', file]);
    expect(inspect.stdout).toContain('user admin authenticates with a token, not a client certificate');
    expect(inspect.stdout + inspect.stderr).not.toContain('0123456789abcdef');
    expect(await snapshot(dir)).toEqual(before);
  });
});
