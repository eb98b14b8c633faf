/**
 * `kubeforge certs verify`: a PKI doctor. Walks the certificate table, the kubeconfigs and the
 * service-account keys and reports every problem with a fix: a certificate not signed by its CA,
 * a key that does not match, missing kubeadm usages, SANs that miss this node's advertise address
 * (read from the kube-apiserver manifest), key files readable by others, kubeconfigs that trust
 * another CA or point at another server, expired or soon-expiring certificates.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { createHost, KUBERNETES_DIR, MANIFESTS_DIR, PKI_DIR, type Host } from '../host/index.js';
import { hasLocalEtcd, kubeconfigTable, parseKubeconfig, currentClusterAndUser } from '../kubeconfig/index.js';
import {
  certificateSpec, certificateTable, keyMatchesCertificate, loadCertificate, pemCertificates, tryLoadCertificateFile, tryLoadPrivateKeyFile,
  verifySignedBy, type CertificateInfo, type CertificateSpec, type CertName,
} from '../pki/index.js';

export interface Finding {
  severity: 'error' | 'warning';
  /** The certificate, kubeconfig or file it is about. */
  subject: string;
  message: string;
  fix: string;
}

export interface VerifyResult {
  findings: Finding[];
  checked: number;
  ok: boolean;
}

export interface VerifyOptions {
  root: string;
  certDir?: string;
  host?: Host;
}

const SOON_MS = 30 * 24 * 3600 * 1000;

/** The node's advertise address, from its kube-apiserver manifest. */
async function advertiseAddress(host: Host): Promise<string | undefined> {
  const text = await host.files.tryReadFile(`${MANIFESTS_DIR}/kube-apiserver.yaml`);
  return text && /--advertise-address=(\S+)/.exec(text.toString())?.[1]?.replace(/^"|"$/g, '');
}

/** The SANs kubeadm's table gives a row that do not depend on cluster settings kubeforge cannot see here. */
function expectedSANs(name: CertName, advertise: string | undefined): { dns: string[]; ips: string[] } {
  const ips = advertise ? [advertise] : [];
  if (name === 'apiserver') return { dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc'], ips };
  if (name === 'etcd-server' || name === 'etcd-peer') return { dns: ['localhost'], ips: [...ips, '127.0.0.1'] };
  return { dns: [], ips: [] };
}

class Doctor {
  readonly findings: Finding[] = [];
  checked = 0;
  constructor(readonly host: Host, readonly now: Date) {}

  error(subject: string, message: string, fix: string): void {
    this.findings.push({ severity: 'error', subject, message, fix });
  }

  warning(subject: string, message: string, fix: string): void {
    this.findings.push({ severity: 'warning', subject, message, fix });
  }

  /** Loads a PEM file, turning an unreadable one into a finding. */
  async load<T>(subject: string, file: string, loader: (h: Host, p: string) => Promise<T | undefined>, fix: string): Promise<T | undefined> {
    try {
      return await loader(this.host, file);
    } catch (err) {
      this.error(subject, errorMessage(err), fix);
      return undefined;
    }
  }

  async keyMode(subject: string, file: string): Promise<void> {
    const stat = await this.host.files.stat(file);
    if (stat && (stat.mode & 0o077) !== 0) {
      const real = this.host.files.resolve(file);
      this.warning(subject, `${real} has mode ${stat.mode.toString(8).padStart(4, '0')}; private keys must not be readable by others`, `chmod 600 ${real}`);
    }
  }

  validity(subject: string, cert: CertificateInfo, fix: string): void {
    const left = cert.notAfter.getTime() - this.now.getTime();
    if (left < 0) this.error(subject, `expired on ${cert.notAfter.toISOString()}`, fix);
    else if (left < SOON_MS) this.warning(subject, `expires on ${cert.notAfter.toISOString()}, in less than 30 days`, fix);
  }
}

async function checkRow(doc: Doctor, spec: CertificateSpec, certDir: string, cas: Map<CertName, { cert?: CertificateInfo; key?: KeyObject }>, advertise?: string): Promise<void> {
  const base = path.posix.join(certDir, spec.baseName);
  const files = { cert: `${base}.crt`, key: `${base}.key` };
  const real = doc.host.files.resolve(files.cert);
  const recreate = `delete ${real} and its key, then run \`kubeforge init phase certs ${spec.name}\``;
  const ca = spec.caName ? cas.get(spec.caName) : undefined;
  const renew = spec.isCA ? 'CA rotation is manual: https://kubernetes.io/docs/tasks/tls/manual-rotation-of-ca-certificates/' : ca?.key ? `kubeforge certs renew ${spec.name}` : `have your external CA sign a new ${spec.baseName}.crt`;
  doc.checked++;
  const cert = await doc.load(spec.name, files.cert, tryLoadCertificateFile, recreate);
  const key = await doc.load(spec.name, files.key, tryLoadPrivateKeyFile, recreate);
  if (spec.isCA) cas.set(spec.name, { cert, key });
  if (!cert) {
    if (!doc.findings.some((f) => f.subject === spec.name)) doc.error(spec.name, `${real} does not exist`, `kubeforge init phase certs ${spec.name}`);
    return;
  }
  if (key && !keyMatchesCertificate(key, cert)) doc.error(spec.name, `${doc.host.files.resolve(files.key)} is not the key of ${real}`, spec.isCA ? 'restore the CA key from a backup' : renew);
  if (!key && !spec.isCA) doc.error(spec.name, `${doc.host.files.resolve(files.key)} does not exist`, renew);
  if (key) await doc.keyMode(spec.name, files.key);
  doc.validity(spec.name, cert, renew);
  if (spec.isCA) {
    if (!cert.isCA) doc.error(spec.name, `${real} is not a CA certificate (basicConstraints CA:TRUE is missing)`, recreate);
    return;
  }
  if (ca?.cert && !verifySignedBy(cert, ca.cert)) {
    doc.error(spec.name, `${real} is not signed by the ${spec.caName} CA (${doc.host.files.resolve(path.posix.join(certDir, certificateSpec(spec.caName!).baseName))}.crt); it was issued by "${cert.issuer.commonName}"`, renew);
  }
  const missingUsages = spec.usages.filter((u) => !cert.extKeyUsage.includes(u));
  if (missingUsages.length > 0) doc.error(spec.name, `${real} lacks the extended key usage ${missingUsages.join(', ')} kubeadm gives it`, recreate);
  const expected = expectedSANs(spec.name, advertise);
  const missingSANs = [...expected.dns.filter((d) => !cert.dnsNames.includes(d)), ...expected.ips.filter((ip) => !cert.ips.includes(ip))];
  if (missingSANs.length > 0) {
    doc.error(spec.name, `${real} is not valid for ${missingSANs.join(', ')}${advertise && missingSANs.includes(advertise) ? " (this node's advertise address, from the kube-apiserver manifest)" : ''}`, `${recreate} --apiserver-advertise-address ${advertise ?? '<ip>'}`);
  }
}

async function checkKubeconfig(doc: Doctor, fileName: string, ca: CertificateInfo | undefined, advertise: string | undefined, local: boolean): Promise<void> {
  const file = path.posix.join(KUBERNETES_DIR, fileName);
  const real = doc.host.files.resolve(file);
  const content = await doc.host.files.tryReadFile(file);
  if (content === undefined) return;
  doc.checked++;
  const phase = `delete ${real} and run \`kubeforge init phase kubeconfig ${fileName.replace(/\.conf$/, '')}\``;
  let cluster;
  let user;
  try {
    ({ cluster, user } = currentClusterAndUser(parseKubeconfig(content.toString())));
  } catch (err) {
    return doc.error(fileName, `${real}: ${errorMessage(err)}`, phase);
  }
  await doc.keyMode(fileName, file);
  const trusted = pemCertificates(cluster.certificateAuthorityData ?? '');
  if (ca && !trusted.some((der) => der.equals(ca.der))) doc.error(fileName, `${real} does not trust this cluster's CA (ca.crt)`, phase);
  if (local && advertise && !cluster.server.includes(advertise.includes(':') ? `[${advertise}]` : advertise)) {
    doc.warning(fileName, `${real} points at ${cluster.server}, not at this node's API server (${advertise})`, phase);
  }
  const certPem = user?.clientCertificateData ?? (user?.clientCertificate ? (await doc.host.files.tryReadFile(user.clientCertificate))?.toString() : undefined);
  if (!certPem) return;
  const renew = fileName === 'kubelet.conf' ? 'the agent rotates it; restart the agent' : `kubeforge certs renew ${fileName}`;
  let client: CertificateInfo;
  try {
    client = loadCertificate(certPem);
  } catch (err) {
    return doc.error(fileName, `its client certificate is invalid: ${errorMessage(err)}`, renew);
  }
  if (ca && !verifySignedBy(client, ca)) doc.error(fileName, `the client certificate in ${real} is not signed by this cluster's CA`, renew);
  const keyPem = user?.clientKeyData ?? (user?.clientKey ? (await doc.host.files.tryReadFile(user.clientKey))?.toString() : undefined);
  if (keyPem && !keyMatchesCertificate(keyPem, client)) doc.error(fileName, `the client key in ${real} does not match its certificate`, renew);
  doc.validity(fileName, client, renew);
}

export async function runCertsVerify(options: VerifyOptions): Promise<VerifyResult> {
  const host = options.host ?? createHost(options.root);
  const certDir = options.certDir ?? PKI_DIR;
  const doc = new Doctor(host, host.clock.now());
  const localEtcd = await hasLocalEtcd(host.files, certDir);
  const advertise = await advertiseAddress(host);
  const cas = new Map<CertName, { cert?: CertificateInfo; key?: KeyObject }>();
  for (const spec of certificateTable.filter((s) => localEtcd || !s.localEtcdOnly)) await checkRow(doc, spec, certDir, cas, advertise);
  for (const spec of kubeconfigTable) await checkKubeconfig(doc, spec.fileName, cas.get('ca')?.cert, advertise, spec.server === 'localAPIEndpoint');
  const saKey = path.posix.join(certDir, 'sa.key');
  if (await host.files.exists(saKey)) {
    doc.checked++;
    await doc.keyMode('sa', saKey);
  }
  return { findings: doc.findings, checked: doc.checked, ok: !doc.findings.some((f) => f.severity === 'error') };
}

export function formatVerifyText(result: VerifyResult): string {
  if (result.findings.length === 0) return `All ${result.checked} certificates, keys and kubeconfigs are in order.\n`;
  const lines = result.findings.map((f) => `[${f.severity.toUpperCase()}] ${f.subject}: ${f.message}\n    fix: ${f.fix}`);
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  return `${lines.join('\n')}\n\n${errors} error(s), ${result.findings.length - errors} warning(s) in ${result.checked} checked items.\n`;
}
