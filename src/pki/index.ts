/**
 * kubeforge's PKI, modelled on kubeadm's certlist.go, and the only code that builds, signs or
 * parses certificates and CSRs (the CSR controllers, the agent and the commands all call it): the
 * certificate table, key and certificate creation (native crypto keys and signatures; DER assembled with node-forge's ASN.1 codec — the
 * only node-forge user in kubeforge), loading and verification, the CA pin, and the
 * service-account key pair.
 *
 *   table.ts        certificateTable rows (name, baseName, CA, subject, usages, SANs, description)
 *   altnames.ts     kubeadm's SAN builders for apiserver and etcd
 *   ensure.ts       ensureCertificate / ensureCertificates / ensureServiceAccountKeys (reuse rules)
 *   renew.ts        renewCertificate, reissueCertificate, keyAlgorithmOf (certs renew: same subject/SANs/usages, new key and validity)
 *   role.ts         certificateRole: which kubeadm role a certificate plays (file name, subject, usages)
 *   x509.ts         PEM framing (pemEncode/pemDecode), caPublicKeyPin, certificateValidity: native and forge-free (join, check-expiration, agent metrics)
 *   issue.ts        templates, validityWindow (kubeadm's and the CSR signer's), loadCertificateAuthority, issueClientCertificate
 *   serving.ts      selfSignedServingCertificate (kubelet.crt, the controller manager's and scheduler's in-memory cert)
 *   build.ts        TBSCertificate + extensions, signed natively
 *   csr.ts          PKCS#10: createCertificateSigningRequest, parseCertificateSigningRequest, createCertificateFromCSR
 *   certificate.ts  loadCertificate (typed view), verifySignedBy, keyMatchesCertificate
 *   files.ts        reading/writing PKI files through the Host, with coded errors
 *   keys.ts         key generation and PEM encodings
 *   netaddr.ts      IP/CIDR/DNS-name helpers
 *   asn1.ts         DER helpers over node-forge
 *   encryption-config.ts  the API server's EncryptionConfiguration with a generated key
 */
export { certificateTable, certificateSpec, certificatesFor, certificatePaths, isCertName, CERT_NAMES, type CertName, type CertificateSpec } from './table.js';
export { apiServerAltNames, apiServerServiceIP, etcdPeerAltNames, etcdServerAltNames, type AltNamesResult } from './altnames.js';
export { ensureCertificate, ensureCertificates, ensureServiceAccountKeys, prefetchMissingKeys, type EnsureResult } from './ensure.js';
export { ensureEncryptionConfig, encryptionConfiguration, ENCRYPTION_CONFIG_BASENAME } from './encryption-config.js';
export { renewCertificate, reissueCertificate, keyAlgorithmOf } from './renew.js';
export {
  issueClientCertificate, certificateTemplate, signCertificate, validityPeriodMs, validityWindow, CERTIFICATE_BACKDATE_MS, loadCertificateAuthority,
  type IssuedCertificate, type CertificateAuthority,
} from './issue.js';
export { selfSignedServingCertificate, type SelfSignedServingCertificate } from './serving.js';
export {
  createCertificateSigningRequest, parseCertificateSigningRequest, createCertificateFromCSR,
  type CertificateSigningRequestInfo, type CSRSigningOptions,
} from './csr.js';
export { buildCertificate, type CertificateTemplate, type Issuer } from './build.js';
export {
  loadCertificate, verifySignedBy, keyMatchesCertificate,
  type CertificateInfo, type Subject, type AltNames, type GeneralNames, type ExtKeyUsage, type KeyUsage,
} from './certificate.js';
export { loadCertificateFile, tryLoadCertificateFile, tryLoadPrivateKeyFile, writeCertificate, writePrivateKey } from './files.js';
export { generatePrivateKey, prefetchPrivateKeys, encodePrivateKeyPem, encodePublicKeyPem, parsePrivateKeyPem, publicKeyAlgorithm, type KeyAlgorithm, type PublicKeyAlgorithm } from './keys.js';
export { caPublicKeyPin, certificatePem, certificateValidity, pemCertificates, pemDecode, pemEncode, type CertificateValidity } from './x509.js';
export { certificateRole, type CertificateRole } from './role.js';
export { canonicalIP, joinHostPort, parseHostPort } from './netaddr.js';
