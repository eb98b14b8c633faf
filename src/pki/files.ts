/**
 * PKI files on disk, read through the Host: every failure becomes a coded error that names the
 * file (its real path under --root) and says how to fix it. Bad content is a validation error (exit 3).
 */
import type { KeyObject } from 'node:crypto';
import { errorMessage, KubeforgeError, validationError } from '../errors.js';
import type { Host } from '../host/index.js';
import { keyMatchesCertificate, loadCertificate, verifySignedBy, type CertificateInfo } from './certificate.js';
import { parsePrivateKeyPem } from './keys.js';

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

/** Reads and parses `path`; undefined when it does not exist; a parse failure becomes a validation error naming the file. */
async function tryLoad<T>(host: Host, path: string, parse: (content: Buffer) => T, failure: { code: string; what: string; hint: string }): Promise<T | undefined> {
  const content = await host.files.tryReadFile(path);
  if (content === undefined) return undefined;
  try {
    return parse(content);
  } catch (err) {
    throw validationError(failure.code, `${host.files.resolve(path)} is not a valid ${failure.what}: ${errorMessage(err)}`, { cause: err, hint: failure.hint });
  }
}

/** The certificate in `path`, or undefined when the file does not exist; KF_CERT_CORRUPT when it cannot be parsed. */
export function tryLoadCertificateFile(host: Host, path: string): Promise<CertificateInfo | undefined> {
  return tryLoad(host, path, loadCertificate, {
    code: 'KF_CERT_CORRUPT',
    what: 'PEM certificate',
    hint: 'restore the file from a backup, or delete it (and its .key) so kubeforge generates a new pair',
  });
}

/** Like tryLoadCertificateFile, but a missing file is an error (KF_CERT_MISSING). */
export async function loadCertificateFile(host: Host, path: string): Promise<CertificateInfo> {
  const cert = await tryLoadCertificateFile(host, path);
  if (!cert) {
    throw new KubeforgeError('KF_CERT_MISSING', `certificate ${host.files.resolve(path)} does not exist`, {
      hint: 'run `kubeforge init phase certs all` to create the missing certificates',
    });
  }
  return cert;
}

/** The private key in `path`, or undefined when the file does not exist; KF_KEY_INVALID when it is not a private key. */
export function tryLoadPrivateKeyFile(host: Host, path: string): Promise<KeyObject | undefined> {
  return tryLoad(host, path, parsePrivateKeyPem, {
    code: 'KF_KEY_INVALID',
    what: 'private key',
    hint: 'put the PEM private key (RSA, EC or PKCS#8) there, or delete it together with its certificate to generate a new pair',
  });
}

export function assertKeyMatches(host: Host, key: KeyObject, keyPath: string, cert: CertificateInfo, certPath: string): void {
  if (keyMatchesCertificate(key, cert)) return;
  throw validationError('KF_KEY_MISMATCH', `private key ${host.files.resolve(keyPath)} does not match certificate ${host.files.resolve(certPath)}`, {
    hint: 'restore the key that belongs to this certificate, or delete both files so kubeforge generates a new pair',
  });
}

export function assertSignedBy(host: Host, cert: CertificateInfo, certPath: string, ca: CertificateInfo, caPath: string): void {
  if (verifySignedBy(cert, ca)) return;
  throw validationError('KF_CERT_WRONG_CA', `certificate ${host.files.resolve(certPath)} is not signed by the CA in ${host.files.resolve(caPath)}`, {
    hint: 'delete the certificate and its key so they are re-issued by this CA, or restore the CA they were issued by',
  });
}

export function assertIsCA(host: Host, cert: CertificateInfo, certPath: string): void {
  if (cert.isCA) return;
  throw validationError('KF_CERT_NOT_CA', `certificate ${host.files.resolve(certPath)} is not a CA (basicConstraints CA:TRUE is missing)`, {
    hint: 'put the CA certificate there, or delete it (and its key) so kubeforge creates a new CA',
  });
}

/** Expired certificates are refused; a certificate that is not valid yet (clock skew) only warns. */
export function assertCurrentlyValid(host: Host, cert: CertificateInfo, certPath: string, now: Date, warn: (m: string) => void): void {
  const file = host.files.resolve(certPath);
  if (now.getTime() > cert.notAfter.getTime()) {
    throw validationError('KF_CERT_EXPIRED', `certificate ${file} expired on ${cert.notAfter.toISOString()}`, {
      hint: 'renew it with `kubeforge certs renew <name>`, or delete it and its key so kubeforge issues a new one',
    });
  }
  if (now.getTime() < cert.notBefore.getTime()) warn(`certificate ${file} is not valid before ${cert.notBefore.toISOString()}; check the system clock`);
}

export async function writePrivateKey(host: Host, path: string, pem: string): Promise<void> {
  await host.files.writeFile(path, pem, { mode: KEY_MODE });
}

export async function writeCertificate(host: Host, path: string, pem: string): Promise<void> {
  await host.files.writeFile(path, pem, { mode: CERT_MODE });
}

/** 0600 as kubeadm writes sa.pub (keyutil.WriteKey), which CIS 1.1.21 checks with the keys. */
export async function writePublicKey(host: Host, path: string, pem: string): Promise<void> {
  await host.files.writeFile(path, pem, { mode: KEY_MODE });
}
