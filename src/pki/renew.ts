/**
 * `certs renew <name>` for table rows (kubeadm's RenewUsingLocalCA): a new key and certificate
 * that keep the existing certificate's subject, SANs and usages, with a fresh validity period,
 * signed by the local CA. External-CA certificates (CA key absent) cannot be renewed here.
 */
import type { InitConfig } from '../config/types.js';
import { KubeforgeError } from '../errors.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import type { KeyObject } from 'node:crypto';
import type { Issuer } from './build.js';
import type { CertificateInfo, ExtKeyUsage } from './certificate.js';
import { loadCertificateFile, tryLoadPrivateKeyFile, writeCertificate, writePrivateKey } from './files.js';
import { signCertificate, validityPeriodMs, validityWindow } from './issue.js';
import { encodePrivateKeyPem, generatePrivateKey, type KeyAlgorithm } from './keys.js';
import { certificatePaths, certificateSpec, type CertName } from './table.js';

export async function renewCertificate(host: Host, cfg: InitConfig, name: CertName, log: Logger): Promise<void> {
  const spec = certificateSpec(name);
  if (spec.isCA) {
    throw new KubeforgeError('KF_CERT_RENEW_CA', `"${name}" is a CA; kubeforge renews only the certificates it signs`, {
      exitCode: 3,
      hint: 'CA rotation is a manual procedure; renew the leaf certificates instead',
    });
  }
  const paths = certificatePaths(cfg, spec);
  const caPaths = certificatePaths(cfg, certificateSpec(spec.caName!));
  const [existing, caCert, caKey] = await Promise.all([
    loadCertificateFile(host, paths.cert),
    loadCertificateFile(host, caPaths.cert),
    tryLoadPrivateKeyFile(host, caPaths.key),
  ]);
  if (!caKey) {
    throw new KubeforgeError('KF_CERT_RENEW_EXTERNAL_CA', `cannot renew "${name}": ${host.files.resolve(caPaths.key)} is absent (external CA mode)`, {
      hint: `have your CA sign a new ${spec.baseName}.crt, or run \`kubeforge certs generate-csr\``,
    });
  }
  const key = await generatePrivateKey(cfg.cluster.encryptionAlgorithm);
  const certPem = reissueCertificate(existing, key, { key: caKey, certificate: caCert }, host.clock.now(), validityPeriodMs(cfg, false));
  await writePrivateKey(host, paths.key, encodePrivateKeyPem(key));
  await writeCertificate(host, paths.cert, certPem);
  log.info(`${spec.description} renewed`);
}

/** The key algorithm of an existing certificate, so a renewal keeps it (RSA-2048 stays RSA-2048). */
export function keyAlgorithmOf(cert: CertificateInfo): KeyAlgorithm {
  if (cert.publicKey.algorithm === 'ECDSA') {
    if (cert.publicKey.curve !== 'prime256v1') throw new Error(`unsupported EC curve ${cert.publicKey.curve ?? ''}`);
    return 'ECDSA-P256';
  }
  const algorithm = `RSA-${cert.publicKey.bits}`;
  if (algorithm !== 'RSA-2048' && algorithm !== 'RSA-3072' && algorithm !== 'RSA-4096') throw new Error(`unsupported RSA key size ${cert.publicKey.bits}`);
  return algorithm;
}

/**
 * kubeadm's renewal of one certificate: the existing certificate's subject, SANs and extended
 * key usages, a new validity window, for `key`, signed by `ca`. Pure apart from the serial.
 */
export function reissueCertificate(existing: CertificateInfo, key: KeyObject, ca: Issuer, now: Date, validityMs: number): string {
  return signCertificate(
    {
      subject: existing.subject,
      altNames: { dnsNames: existing.dnsNames, ips: existing.ips },
      usages: existing.extKeyUsage.filter((u): u is ExtKeyUsage => u === 'serverAuth' || u === 'clientAuth'),
      isCA: false,
      ...validityWindow(now, validityMs),
    },
    key,
    ca,
  );
}
