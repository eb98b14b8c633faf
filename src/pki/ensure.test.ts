import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, KubeforgeError } from '../errors.js';
import { createDryRunHost, createHost, type Clock, type Host } from '../host/index.js';
import { createMemoryLogger } from '../log.js';
import {
  certificatePaths, certificateSpec, ensureCertificate, ensureCertificates, ensureServiceAccountKeys, keyMatchesCertificate, loadCertificate, renewCertificate,
  type CertName,
} from './index.js';
import { testInitConfig } from '../../test/helpers/pki-config.js';

const cfg = testInitConfig('ECDSA-P256');
let root: string;
let host: Host;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'kf-pki-ensure-'));
  host = createHost(root);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const paths = (name: CertName) => certificatePaths(cfg, certificateSpec(name));
const serialOf = async (name: CertName) => loadCertificate(await host.files.readFile(paths(name).cert)).serialNumber;

async function expectError(promise: Promise<unknown>, code: string, fileMention: string): Promise<KubeforgeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KubeforgeError);
  const kf = err as KubeforgeError;
  expect(kf.code).toBe(code);
  expect(kf.message).toContain(host.files.resolve(fileMention));
  expect(kf.hint).toBeTruthy();
  return kf;
}

describe('ensureCertificate reuse rules', () => {
  it('reuses a valid certificate and key untouched (same serial) on a second run', async () => {
    await ensureCertificates(host, cfg, createMemoryLogger());
    const before = await Promise.all((['ca', 'apiserver', 'etcd-peer'] as const).map(serialOf));
    const log = createMemoryLogger();
    const results = await ensureCertificates(host, cfg, log);
    expect(Object.values(results).every((r) => r === 'reused')).toBe(true);
    expect(await Promise.all((['ca', 'apiserver', 'etcd-peer'] as const).map(serialOf))).toEqual(before);
    expect(log.lines).toContain('[certs] Using existing ca certificate authority');
    expect(log.lines).toContain('[certs] Using existing etcd/ca certificate authority');
    expect(log.lines).toContain('[certs] Using existing apiserver certificate and key on disk');
    expect(log.lines).toContain('[certs] Using existing etcd/server certificate and key on disk');
  });

  it('fills in a deleted leaf, signed by the existing CA, leaving the others alone', async () => {
    await ensureCertificates(host, cfg, createMemoryLogger());
    const caSerial = await serialOf('ca');
    const kubeletClientSerial = await serialOf('apiserver-kubelet-client');
    await host.files.remove(paths('apiserver').cert);
    await host.files.remove(paths('apiserver').key);
    const log = createMemoryLogger();
    expect(await ensureCertificate(host, cfg, 'apiserver', log)).toBe('created');
    expect(log.lines[0]).toBe('[certs] Generating "apiserver" certificate and key');
    expect(await serialOf('ca')).toBe(caSerial);
    expect(await serialOf('apiserver-kubelet-client')).toBe(kubeletClientSerial);
    const leaf = loadCertificate(await host.files.readFile(paths('apiserver').cert));
    expect(leaf.issuer.commonName).toBe('kubernetes');
  });

  it('issues a certificate for a key left without one (a crash between the two writes)', async () => {
    await ensureCertificates(host, cfg, createMemoryLogger());
    const keyBefore = (await host.files.readFile(paths('front-proxy-client').key)).toString();
    await host.files.remove(paths('front-proxy-client').cert);
    expect(await ensureCertificate(host, cfg, 'front-proxy-client', createMemoryLogger())).toBe('created');
    expect((await host.files.readFile(paths('front-proxy-client').key)).toString()).toBe(keyBefore);
  });

  it('refuses a leaf whose CA certificate is missing', async () => {
    await expectError(ensureCertificate(host, cfg, 'apiserver', createMemoryLogger()), 'KF_CERT_CA_MISSING', paths('ca').cert);
  });
});

describe('external CA mode (CA certificate without its key)', () => {
  it('accepts the CA when every leaf it signs is present and valid', async () => {
    await ensureCertificates(host, cfg, createMemoryLogger());
    await host.files.remove(paths('ca').key);
    const log = createMemoryLogger();
    const results = await ensureCertificates(host, cfg, log, ['ca', 'apiserver', 'apiserver-kubelet-client']);
    expect(results).toEqual({ ca: 'reused', apiserver: 'reused', 'apiserver-kubelet-client': 'reused' });
    expect(log.lines[0]).toBe('[certs] Using existing ca keyless certificate authority');
  });

  it('fails naming the missing leaf, since nothing can sign it', async () => {
    await ensureCertificates(host, cfg, createMemoryLogger());
    await host.files.remove(paths('ca').key);
    await host.files.remove(paths('apiserver').cert);
    await host.files.remove(paths('apiserver').key);
    const err = await expectError(ensureCertificate(host, cfg, 'apiserver', createMemoryLogger()), 'KF_CERT_EXTERNAL_CA_INCOMPLETE', paths('apiserver').cert);
    expect(err.exitCode).toBe(ExitCode.Validation);
  });
});

describe('bad input on disk', () => {
  beforeEach(async () => {
    await ensureCertificates(host, cfg, createMemoryLogger(), ['ca', 'apiserver', 'front-proxy-ca', 'front-proxy-client']);
  });

  it('rejects a key that does not match its certificate', async () => {
    await host.files.writeFile(paths('apiserver').key, await host.files.readFile(paths('front-proxy-client').key), { mode: 0o600 });
    const err = await expectError(ensureCertificate(host, cfg, 'apiserver', createMemoryLogger()), 'KF_KEY_MISMATCH', paths('apiserver').key);
    expect(err.exitCode).toBe(ExitCode.Validation);
  });

  it('rejects a CA key that does not match the CA certificate', async () => {
    await host.files.writeFile(paths('ca').key, await host.files.readFile(paths('front-proxy-ca').key), { mode: 0o600 });
    await expectError(ensureCertificate(host, cfg, 'ca', createMemoryLogger()), 'KF_KEY_MISMATCH', paths('ca').key);
  });

  it('rejects a leaf signed by another CA', async () => {
    for (const kind of ['cert', 'key'] as const) {
      await host.files.writeFile(paths('apiserver')[kind], await host.files.readFile(paths('front-proxy-client')[kind]), { mode: 0o600 });
    }
    const err = await expectError(ensureCertificate(host, cfg, 'apiserver', createMemoryLogger()), 'KF_CERT_WRONG_CA', paths('apiserver').cert);
    expect(err.message).toContain(host.files.resolve(paths('ca').cert));
  });

  it('rejects a corrupt certificate PEM', async () => {
    await host.files.writeFile(paths('apiserver').cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const err = await expectError(ensureCertificate(host, cfg, 'apiserver', createMemoryLogger()), 'KF_CERT_CORRUPT', paths('apiserver').cert);
    expect(err.exitCode).toBe(ExitCode.Validation);
  });

  it('rejects a key file that holds no private key', async () => {
    await host.files.writeFile(paths('apiserver').key, await host.files.readFile(paths('apiserver').cert), { mode: 0o600 });
    const err = await expectError(ensureCertificate(host, cfg, 'apiserver', createMemoryLogger()), 'KF_KEY_INVALID', paths('apiserver').key);
    expect(err.message).toContain('CERTIFICATE block, not a private key');
  });

  it('rejects a leaf certificate whose key is gone', async () => {
    await host.files.remove(paths('apiserver').key);
    await expectError(ensureCertificate(host, cfg, 'apiserver', createMemoryLogger()), 'KF_CERT_KEY_MISSING', paths('apiserver').key);
  });

  it('rejects an expired certificate', async () => {
    const later: Clock = { now: () => new Date(Date.now() + 2 * 8760 * 3600_000) };
    const future: Host = { ...host, clock: later };
    await expectError(ensureCertificate(future, cfg, 'apiserver', createMemoryLogger()), 'KF_CERT_EXPIRED', paths('apiserver').cert);
  });

  it('rejects a non-CA certificate in the CA slot', async () => {
    for (const kind of ['cert', 'key'] as const) {
      await host.files.writeFile(paths('front-proxy-ca')[kind], await host.files.readFile(paths('front-proxy-client')[kind]), { mode: 0o600 });
    }
    await expectError(ensureCertificate(host, cfg, 'front-proxy-ca', createMemoryLogger()), 'KF_CERT_NOT_CA', paths('front-proxy-ca').cert);
  });
});

describe('ensureServiceAccountKeys', () => {
  it('creates sa.key and sa.pub once and then reuses them', async () => {
    const log = createMemoryLogger();
    expect(await ensureServiceAccountKeys(host, cfg, log)).toBe('created');
    const key = (await host.files.readFile('/etc/kubernetes/pki/sa.key')).toString();
    expect(await ensureServiceAccountKeys(host, cfg, log)).toBe('reused');
    expect((await host.files.readFile('/etc/kubernetes/pki/sa.key')).toString()).toBe(key);
    expect(log.lines).toEqual(['[certs] Generating "sa" key and public key', '[certs] Using the existing "sa" key']);
  });

  it('derives a missing sa.pub from sa.key', async () => {
    await ensureServiceAccountKeys(host, cfg, createMemoryLogger());
    const pub = (await host.files.readFile('/etc/kubernetes/pki/sa.pub')).toString();
    await host.files.remove('/etc/kubernetes/pki/sa.pub');
    expect(await ensureServiceAccountKeys(host, cfg, createMemoryLogger())).toBe('reused');
    expect((await host.files.readFile('/etc/kubernetes/pki/sa.pub')).toString()).toBe(pub);
  });

  it('rejects an sa.key that is not a private key', async () => {
    await host.files.writeFile('/etc/kubernetes/pki/sa.key', 'hello\n', { mode: 0o600 });
    await expectError(ensureServiceAccountKeys(host, cfg, createMemoryLogger()), 'KF_KEY_INVALID', '/etc/kubernetes/pki/sa.key');
  });
});

describe('with the dry-run host', () => {
  it('records every write and leaves the root empty', async () => {
    const writes: string[] = [];
    const dry = createDryRunHost(root, (w) => writes.push(w.path), () => {});
    await ensureCertificates(dry, cfg, createMemoryLogger());
    await ensureServiceAccountKeys(dry, cfg, createMemoryLogger());
    expect(writes).toHaveLength(22);
    expect(writes).toContain(host.files.resolve(paths('etcd-server').key));
    expect(await fs.readdir(root)).toEqual([]);
  });
});

describe('keyMatchesCertificate', () => {
  it('is false for a key of another algorithm, true for the PEM of the right key', async () => {
    const rsa = testInitConfig('RSA-2048');
    rsa.cluster.certificatesDir = '/rsa';
    await ensureCertificate(host, rsa, 'ca', createMemoryLogger());
    await ensureCertificate(host, cfg, 'ca', createMemoryLogger());
    const rsaCert = loadCertificate(await host.files.readFile('/rsa/ca.crt'));
    expect(keyMatchesCertificate((await host.files.readFile(paths('ca').key)).toString(), rsaCert)).toBe(false);
    expect(keyMatchesCertificate(await host.files.readFile('/rsa/ca.key'), rsaCert)).toBe(true);
  });
});

describe('renewCertificate', () => {
  it('re-issues a leaf with a new key and serial, keeping subject, SANs and usages', async () => {
    const custom = structuredClone(cfg);
    custom.cluster.apiServer.certSANs = ['extra.example.test'];
    await ensureCertificates(host, custom, createMemoryLogger(), ['ca', 'apiserver']);
    const before = loadCertificate(await host.files.readFile(paths('apiserver').cert));
    const keyBefore = (await host.files.readFile(paths('apiserver').key)).toString();
    const log = createMemoryLogger();
    const later: Host = { ...host, clock: { now: () => new Date(Date.now() + 30 * 24 * 3600_000) } };
    await renewCertificate(later, cfg, 'apiserver', log);
    const after = loadCertificate(await host.files.readFile(paths('apiserver').cert));
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect((await host.files.readFile(paths('apiserver').key)).toString()).not.toBe(keyBefore);
    expect({ subject: after.subject, dns: after.dnsNames, ips: after.ips, eku: after.extKeyUsage }).toEqual({ subject: before.subject, dns: before.dnsNames, ips: before.ips, eku: before.extKeyUsage });
    expect(after.dnsNames).toContain('extra.example.test');
    expect(after.notAfter.getTime()).toBeGreaterThan(before.notAfter.getTime());
    expect(log.lines).toEqual(['certificate for serving the Kubernetes API renewed']);
    expect(await ensureCertificate(host, cfg, 'apiserver', createMemoryLogger())).toBe('reused');
  });

  it('refuses to renew in external CA mode', async () => {
    await ensureCertificates(host, cfg, createMemoryLogger(), ['ca', 'apiserver']);
    await host.files.remove(paths('ca').key);
    await expectError(renewCertificate(host, cfg, 'apiserver', createMemoryLogger()), 'KF_CERT_RENEW_EXTERNAL_CA', paths('ca').key);
  });
});

describe('with external etcd', () => {
  const external = structuredClone(cfg);
  external.cluster.etcd = { external: { endpoints: ['https://10.0.0.1:2379'], caFile: '', certFile: '', keyFile: '' } };

  it('skips the etcd rows as kubeadm does and makes the others', async () => {
    const log = createMemoryLogger();
    expect(await ensureCertificate(host, external, 'etcd-ca', log)).toBe('skipped');
    expect(await ensureCertificate(host, external, 'apiserver-etcd-client', log)).toBe('skipped');
    expect(log.lines).toEqual([
      '[certs] External etcd mode: Skipping etcd/ca certificate authority generation',
      '[certs] External etcd mode: Skipping apiserver-etcd-client certificate generation',
    ]);
    expect(Object.keys(await ensureCertificates(host, external, createMemoryLogger()))).toEqual(['ca', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client']);
    expect(await host.files.exists('/etc/kubernetes/pki/etcd/ca.crt')).toBe(false);
  });
});
