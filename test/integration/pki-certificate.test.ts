import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../src/host/index.js';
import { createMemoryLogger } from '../../src/log.js';
import {
  caPublicKeyPin, ensureCertificate, issueClientCertificate, keyMatchesCertificate, loadCertificate, parsePrivateKeyPem, verifySignedBy,
} from '../../src/pki/index.js';
import { openssl, testInitConfig } from '../helpers/pki-config.js';

let root: string;
let host: Host;
const sh = async (script: string) => {
  const result = await host.processes.run('bash', ['-c', script]);
  if (result.exitCode !== 0) throw new Error(result.stderr);
  return result.stdout;
};

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'kf-pki-cert-'));
  host = createHost(root);
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe.each(['RSA-2048', 'ECDSA-P256'] as const)('with %s keys', (algorithm) => {
  const cfg = testInitConfig(algorithm);
  cfg.cluster.certificatesDir = `/pki-${algorithm}`;

  beforeAll(async () => {
    await ensureCertificate(host, cfg, 'ca', createMemoryLogger());
  });

  it('computes the CA pin exactly as `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum`', async () => {
    const caFile = host.files.resolve(`${cfg.cluster.certificatesDir}/ca.crt`);
    const digest = (await sh(`openssl x509 -in '${caFile}' -noout -pubkey | openssl pkey -pubin -outform der | sha256sum`)).split(' ')[0];
    const pin = caPublicKeyPin(await host.files.readFile(`${cfg.cluster.certificatesDir}/ca.crt`));
    expect(pin).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pin).toBe(`sha256:${digest}`);
  });

  it('issues a client certificate that openssl verifies for client auth', async () => {
    const ca = {
      certPem: (await host.files.readFile(`${cfg.cluster.certificatesDir}/ca.crt`)).toString(),
      keyPem: (await host.files.readFile(`${cfg.cluster.certificatesDir}/ca.key`)).toString(),
    };
    const issued = await issueClientCertificate(ca, { commonName: 'system:node:node-b', organizations: ['system:nodes'] }, algorithm, 3600_000, new Date());
    const cert = loadCertificate(issued.certPem);
    expect(cert.subject).toEqual({ commonName: 'system:node:node-b', organizations: ['system:nodes'] });
    expect(cert.extKeyUsage).toEqual(['clientAuth']);
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(3600_000 + 5 * 60_000);
    expect(verifySignedBy(cert, loadCertificate(ca.certPem))).toBe(true);
    expect(keyMatchesCertificate(parsePrivateKeyPem(issued.keyPem), cert)).toBe(true);
    await host.files.writeFile('/client.crt', issued.certPem);
    const out = await openssl(host, ['verify', '-purpose', 'sslclient', '-CAfile', host.files.resolve(`${cfg.cluster.certificatesDir}/ca.crt`), host.files.resolve('/client.crt')]);
    expect(out).toContain(': OK');
  });
});

describe('loadCertificate', () => {
  it('reads a certificate made by openssl (subject, SANs, usages, key, CA flag)', async () => {
    const dir = host.files.resolve('/openssl');
    await fs.mkdir(dir, { recursive: true });
    await sh(`cd '${dir}' && openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 2 -subj '/O=org one/O=org2/CN=test-cn' \
      -addext 'subjectAltName=DNS:a.example,IP:10.1.2.3,IP:fd00::5' -addext 'extendedKeyUsage=serverAuth' -addext 'keyUsage=critical,digitalSignature' 2>/dev/null`);
    const cert = loadCertificate(await fs.readFile(path.join(dir, 'c.pem')));
    expect(cert.subject).toEqual({ commonName: 'test-cn', organizations: ['org one', 'org2'] });
    expect(cert.dnsNames).toEqual(['a.example']);
    expect(cert.ips).toEqual(['10.1.2.3', 'fd00::5']);
    expect(cert.extKeyUsage).toEqual(['serverAuth']);
    expect(cert.keyUsage).toEqual(['digitalSignature']);
    expect(cert.publicKey).toEqual({ algorithm: 'RSA', bits: 2048 });
    expect(cert.isCA).toBe(true); // openssl req -x509 marks it CA:TRUE
    const serial = (await openssl(host, ['x509', '-in', path.join(dir, 'c.pem'), '-noout', '-serial'])).trim().split('=')[1]!;
    expect(cert.serialNumber).toBe(serial.toLowerCase().replace(/^0+/, ''));
    expect(keyMatchesCertificate(parsePrivateKeyPem(await fs.readFile(path.join(dir, 'k.pem'))), cert)).toBe(true);
  });

  it('throws on text without a certificate', () => {
    expect(() => loadCertificate('hello')).toThrow(/no PEM CERTIFICATE/);
  });
});
