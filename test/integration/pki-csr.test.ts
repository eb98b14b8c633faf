import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../src/host/index.js';
import { createMemoryLogger } from '../../src/log.js';
import {
  createCertificateFromCSR, createCertificateSigningRequest, ensureCertificate, generatePrivateKey, loadCertificate, loadCertificateAuthority, parseCertificateSigningRequest,
} from '../../src/pki/index.js';
import { openssl, testInitConfig } from '../helpers/pki-config.js';

let root: string;
let host: Host;
const cfg = testInitConfig('ECDSA-P256');
const ca = { certPem: '', keyPem: '' };

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'kf-pki-csr-'));
  host = createHost(root);
  await ensureCertificate(host, cfg, 'ca', createMemoryLogger());
  ca.certPem = (await host.files.readFile('/etc/kubernetes/pki/ca.crt')).toString();
  ca.keyPem = (await host.files.readFile('/etc/kubernetes/pki/ca.key')).toString();
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe.each(['ECDSA-P256', 'RSA-2048'] as const)('certificate signing requests with %s keys', (algorithm) => {
  it('creates a CSR that openssl verifies, with the kubelet subject and requested SANs', async () => {
    const key = await generatePrivateKey(algorithm);
    const pem = createCertificateSigningRequest(key, { commonName: 'system:node:node-b', organizations: ['system:nodes'] }, { dnsNames: ['node-b'], ips: ['127.0.0.3'] });
    await host.files.writeFile(`/csr-${algorithm}.pem`, pem);
    const text = await openssl(host, ['req', '-in', host.files.resolve(`/csr-${algorithm}.pem`), '-verify', '-noout', '-text']);
    expect(text).toContain('Subject: O = system:nodes, CN = system:node:node-b');
    expect(text).toContain('DNS:node-b, IP Address:127.0.0.3');
  });

  it('signs a verified CSR into a client certificate that openssl verifies against the CA', async () => {
    const key = await generatePrivateKey(algorithm);
    const csr = parseCertificateSigningRequest(createCertificateSigningRequest(key, { commonName: 'system:node:node-c', organizations: ['system:nodes'] }));
    expect(csr.subject).toEqual({ commonName: 'system:node:node-c', organizations: ['system:nodes'] });
    expect(csr.keyType).toBe(algorithm === 'RSA-2048' ? 'rsa' : 'ec');
    const certPem = createCertificateFromCSR(csr, loadCertificateAuthority(ca.certPem, ca.keyPem), { usages: ['clientAuth'], keyUsage: ['digitalSignature'], validityMs: 3600_000, now: new Date() });
    const cert = loadCertificate(certPem);
    expect(cert.subject.commonName).toBe('system:node:node-c');
    expect(cert.keyUsage).toEqual(['digitalSignature']);
    await host.files.writeFile(`/signed-${algorithm}.crt`, certPem);
    expect(await openssl(host, ['verify', '-purpose', 'sslclient', '-CAfile', host.files.resolve('/etc/kubernetes/pki/ca.crt'), host.files.resolve(`/signed-${algorithm}.crt`)])).toContain(': OK');
  });
});

it('parses a CSR made by openssl', async () => {
  const dir = host.files.resolve('/openssl');
  await fs.mkdir(dir, { recursive: true });
  await openssl(host, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'r.pem'),
    '-subj', '/O=system:nodes/CN=system:node:x', '-addext', 'subjectAltName=DNS:x.example,IP:fd00::2']);
  const csr = parseCertificateSigningRequest(await fs.readFile(path.join(dir, 'r.pem')));
  expect(csr).toMatchObject({ subject: { commonName: 'system:node:x', organizations: ['system:nodes'] }, dnsNames: ['x.example'], ips: ['fd00::2'] });
});

it('rejects a CSR whose signature does not match its content', async () => {
  const key = await generatePrivateKey('ECDSA-P256');
  const pem = createCertificateSigningRequest(key, { commonName: 'system:node:a', organizations: ['system:nodes'] });
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const at = der.indexOf(Buffer.from('system:node:a'));
  der[at + 12] = 'b'.charCodeAt(0); // same length, different CN
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  expect(() => parseCertificateSigningRequest(tampered)).toThrow(/signature does not verify/);
  expect(() => parseCertificateSigningRequest('nothing')).toThrow(/no PEM CERTIFICATE REQUEST/);
});
