/**
 * Issuing certificates: the template a table row gets under a configuration (subject, SANs,
 * usages, kubeadm's validity and 5-minute back-dating), new CAs, and client certificates for
 * kubeconfigs and the CSR signer.
 */
import type { KeyObject } from 'node:crypto';
import type { InitConfig } from '../config/types.js';
import { buildCertificate, type CertificateTemplate, type Issuer } from './build.js';
import { keyMatchesCertificate, loadCertificate, type CertificateInfo, type Subject } from './certificate.js';
import { parseGoDuration } from '../config/duration.js';
import { encodePrivateKeyPem, generatePrivateKey, parsePrivateKeyPem, type KeyAlgorithm } from './keys.js';
import type { CertificateSpec } from './table.js';

/** kubeadm's CertificateBackdate: NotBefore lies this far in the past to absorb clock skew. */
export const CERTIFICATE_BACKDATE_MS = 5 * 60 * 1000;

/** certificateValidityPeriod (leaves) or caCertificateValidityPeriod (CAs), in ms. */
export function validityPeriodMs(cfg: InitConfig, isCA: boolean): number {
  return parseGoDuration(isCA ? cfg.cluster.caCertificateValidityPeriod : cfg.cluster.certificateValidityPeriod);
}

/** Lifetimes below this keep their full length when the CSR signer back-dates (upstream's policy Short). */
const SHORT_LIFETIME_MS = 8 * 3600_000;

/**
 * NotBefore back-dated by CERTIFICATE_BACKDATE_MS, NotAfter `validityMs` from now, as kubeadm.
 * With `signerNotAfter` it is upstream's CSR signing policy instead: NotAfter is back-dated too
 * unless the lifetime is under 8 hours, and never later than the signer's own expiry.
 */
export function validityWindow(now: Date, validityMs: number, signerNotAfter?: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(now.getTime() - CERTIFICATE_BACKDATE_MS);
  if (!signerNotAfter) return { notBefore, notAfter: new Date(now.getTime() + validityMs) };
  const notAfter = now.getTime() + validityMs - (validityMs < SHORT_LIFETIME_MS ? 0 : CERTIFICATE_BACKDATE_MS);
  return { notBefore, notAfter: new Date(Math.min(notAfter, signerNotAfter.getTime())) };
}

export function certificateTemplate(spec: CertificateSpec, cfg: InitConfig, now: Date): CertificateTemplate {
  const { dnsNames, ips } = spec.altNames(cfg);
  return {
    subject: spec.subject(cfg),
    altNames: { dnsNames, ips },
    usages: spec.usages,
    isCA: spec.isCA,
    ...validityWindow(now, validityPeriodMs(cfg, spec.isCA)),
  };
}

/** Signs `template` for `key`; a CA template without an issuer is self-signed. */
export function signCertificate(template: CertificateTemplate, key: KeyObject, issuer?: Issuer): string {
  return buildCertificate(template, key, issuer ?? { key });
}

/** A CA loaded to sign with: its key and its parsed certificate. */
export interface CertificateAuthority extends Issuer {
  certificate: CertificateInfo;
}

/** Loads a CA from PEM (as tls.X509KeyPair: the key must be the certificate's); throws a plain Error saying what is wrong. */
export function loadCertificateAuthority(certPem: string | Buffer, keyPem: string | Buffer): CertificateAuthority {
  const certificate = loadCertificate(certPem);
  const key = parsePrivateKeyPem(keyPem);
  if (!keyMatchesCertificate(key, certificate)) throw new Error('the private key does not belong to the certificate');
  return { key, certificate };
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

/** A fresh key and a clientAuth certificate for `subject`, signed by the CA (kubeconfigs, CSR signer). */
export async function issueClientCertificate(
  ca: { certPem: string; keyPem: string },
  subject: Subject,
  algorithm: KeyAlgorithm,
  validityMs: number,
  now: Date,
): Promise<IssuedCertificate> {
  const issuer: Issuer = { key: parsePrivateKeyPem(ca.keyPem), certificate: loadCertificate(ca.certPem) };
  const key = await generatePrivateKey(algorithm);
  const template: CertificateTemplate = {
    subject,
    altNames: { dnsNames: [], ips: [] },
    usages: ['clientAuth'],
    isCA: false,
    ...validityWindow(now, validityMs),
  };
  return { certPem: signCertificate(template, key, issuer), keyPem: encodePrivateKeyPem(key) };
}
