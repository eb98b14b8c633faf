/**
 * `kubeforge certs inspect <file|dir|kubeconfig|https://host:port>`: what a certificate is and
 * which kubeadm role it plays. A file may hold one PEM certificate, a chain, a DER certificate or
 * a kubeconfig (its CA and client certificate); a directory is walked; an https URL shows the
 * chain the server presents (not verified: this is for looking, not trusting).
 */
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import tls from 'node:tls';
import { errorMessage, KubeforgeError, validationError } from '../errors.js';
import { RealFiles, type FileHost } from '../host/files.js';
import { parseKubeconfig } from '../kubeconfig/index.js';
import { caPublicKeyPin, certificatePem, certificateRole, loadCertificate, pemCertificates, type CertificateRole } from '../pki/index.js';

export interface InspectedCertificate {
  /** Where it came from: a path (with `#n` for the n-th of a chain), `<kubeconfig> (client)`, or the URL. */
  source: string;
  format: 'PEM' | 'DER';
  role?: CertificateRole;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  expired: boolean;
  isCA: boolean;
  keyUsage: string[];
  extKeyUsage: string[];
  dnsNames: string[];
  ipAddresses: string[];
  publicKey: { algorithm: string; bits: number; curve?: string };
  sha256Fingerprint: string;
  spkiPin: string;
}

export interface InspectResult {
  target: string;
  certificates: InspectedCertificate[];
  /** Notes about what was skipped or how a kubeconfig authenticates. */
  notes: string[];
}

export interface InspectOptions {
  target: string;
  now?: Date;
  files?: FileHost;
  timeoutMs?: number;
}

const MAX_FILE_BYTES = 1024 * 1024;
const dn = (text: string) => text.split('\n').join(', ');

function describe(der: Buffer, source: string, format: 'PEM' | 'DER', now: Date, roleFile?: string): InspectedCertificate {
  const x509 = new X509Certificate(der);
  const info = loadCertificate(certificatePem(der));
  const role = certificateRole(roleFile, info);
  return {
    source,
    format,
    ...(role ? { role } : {}),
    subject: dn(x509.subject),
    issuer: dn(x509.issuer),
    serialNumber: info.serialNumber,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    expired: info.notAfter.getTime() < now.getTime(),
    isCA: info.isCA,
    keyUsage: info.keyUsage,
    extKeyUsage: info.extKeyUsage,
    dnsNames: info.dnsNames,
    ipAddresses: info.ips,
    publicKey: info.publicKey,
    sha256Fingerprint: x509.fingerprint256,
    spkiPin: caPublicKeyPin(certificatePem(der)),
  };
}

function invalid(file: string, why: string, err?: unknown): KubeforgeError {
  return validationError('KF_CERT_INSPECT_INVALID', `${file}: ${why}`, {
    ...(err === undefined ? {} : { cause: err }),
    hint: 'pass a PEM or DER certificate, a certificate chain, a kubeconfig, a directory of them, or https://host:port',
  });
}

const looksLikeKubeconfig = (text: string) => /^(kind:\s*Config|clusters:|apiVersion:\s*v1)\s*$/m.test(text) && /clusters:/.test(text);

/** The certificates in one file's content; throws a clear error when it holds none. */
function inspectContent(file: string, content: Buffer, now: Date, result: InspectResult): void {
  const text = content.toString('latin1');
  const blocks = pemCertificates(text);
  const wrap = (fn: () => InspectedCertificate, source: string) => {
    try {
      result.certificates.push(fn());
    } catch (err) {
      throw invalid(source, `the certificate is malformed: ${errorMessage(err)}`, err);
    }
  };
  if (blocks.length > 0) {
    blocks.forEach((der, i) => wrap(() => describe(der, blocks.length > 1 ? `${file}#${i + 1}` : file, 'PEM', now, i === 0 ? file : undefined), file));
    return;
  }
  if (looksLikeKubeconfig(text)) return inspectKubeconfig(file, content.toString('utf8'), now, result);
  const pemType = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
  if (pemType) throw invalid(file, `it holds a PEM ${pemType} block, not a certificate${/PRIVATE KEY/.test(pemType) ? ' (a key without its certificate)' : ''}`);
  if (content[0] === 0x30) {
    try {
      return void result.certificates.push(describe(content, file, 'DER', now, file));
    } catch (err) {
      throw invalid(file, `it is neither PEM nor a valid DER certificate: ${errorMessage(err)}`, err);
    }
  }
  throw invalid(file, 'it holds no certificate (neither PEM nor DER nor a kubeconfig)');
}

function inspectKubeconfig(file: string, text: string, now: Date, result: InspectResult): void {
  let config;
  try {
    config = parseKubeconfig(text);
  } catch (err) {
    throw invalid(file, errorMessage(err), err);
  }
  const context = config.contexts.find((c) => c.name === config.currentContext);
  for (const cluster of config.clusters) {
    pemCertificates(cluster.certificateAuthorityData ?? '').forEach((der) => result.certificates.push(describe(der, `${file} (cluster ${cluster.name} CA)`, 'PEM', now)));
  }
  const user = config.users.find((u) => u.name === context?.user) ?? config.users[0];
  const client = pemCertificates(user?.clientCertificateData ?? '')[0];
  if (client) result.certificates.push(describe(client, `${file} (user ${user!.name})`, 'PEM', now));
  else if (user?.token) result.notes.push(`${file}: user ${user.name} authenticates with a token, not a client certificate`);
  else if (user?.clientCertificate) result.notes.push(`${file}: user ${user.name} uses the client certificate file ${user.clientCertificate}`);
}

const SKIPPED = /\.(key|pub|csr)$/;

async function inspectPath(files: FileHost, target: string, now: Date, result: InspectResult): Promise<void> {
  const real = path.resolve(target);
  const stat = await files.stat(real);
  if (!stat) throw new KubeforgeError('KF_CERT_INSPECT_NOT_FOUND', `${real} does not exist`, { hint: 'pass a certificate file, a directory, a kubeconfig or https://host:port' });
  if (!stat.isDirectory) {
    if (stat.size > MAX_FILE_BYTES) throw invalid(real, `it is ${stat.size} bytes; certificates are small`);
    return inspectContent(real, await files.readFile(real), now, result);
  }
  const walk = async (dir: string): Promise<void> => {
    for (const name of await files.list(dir)) {
      const child = path.join(dir, name);
      const s = await files.stat(child);
      if (s?.isDirectory) await walk(child);
      else if (SKIPPED.test(name)) continue;
      else if (s && s.size <= MAX_FILE_BYTES) {
        try {
          inspectContent(child, await files.readFile(child), now, result);
        } catch (err) {
          result.notes.push(`${child}: skipped: ${errorMessage(err).replace(`${child}: `, '')}`);
        }
      }
    }
  };
  await walk(real);
  if (result.certificates.length === 0) {
    throw new KubeforgeError('KF_CERT_INSPECT_NONE', `${real} holds no certificate`, { hint: 'point at the PKI directory, e.g. /etc/kubernetes/pki (under --root when relocated)' });
  }
}

/** The chain a TLS server presents (leaf first), unverified. */
export function servedChain(host: string, port: number, timeoutMs: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...(/^[\d.:]+$/.test(host) ? {} : { servername: host }) }, () => {
      const chain: Buffer[] = [];
      let cert = socket.getPeerCertificate(true);
      while (cert?.raw && !chain.some((der) => der.equals(cert.raw))) {
        chain.push(cert.raw);
        cert = cert.issuerCertificate;
      }
      socket.end();
      resolve(chain);
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.on('error', (err) => reject(new KubeforgeError('KF_CERT_INSPECT_TLS', `cannot fetch the certificate chain of ${host}:${port}: ${err.message}`, { cause: err, hint: 'check the address and port, and that a TLS server listens there' })));
  });
}

export async function runCertsInspect(options: InspectOptions): Promise<InspectResult> {
  const now = options.now ?? new Date();
  const result: InspectResult = { target: options.target, certificates: [], notes: [] };
  if (/^https:\/\//i.test(options.target)) {
    const url = new URL(options.target);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const chain = await servedChain(host, Number(url.port || 443), options.timeoutMs ?? 10_000);
    chain.forEach((der, i) => result.certificates.push(describe(der, `${url.host} #${i + 1}`, 'PEM', now)));
    return result;
  }
  await inspectPath(options.files ?? new RealFiles('/'), options.target, now, result);
  return result;
}

const list = (items: string[]) => (items.length ? items.join(', ') : '<none>');

/** The text view: one block per certificate, `Field: value` lines. */
export function formatInspectText(result: InspectResult): string {
  const blocks = result.certificates.map((c) => {
    const key = c.publicKey.algorithm === 'RSA' ? `RSA ${c.publicKey.bits} bits` : `ECDSA ${c.publicKey.curve ?? ''} (${c.publicKey.bits} bits)`;
    const rows: [string, string][] = [
      ['Role', c.role ? `${c.role.name} (${c.role.description})` : '<not a kubeadm certificate>'],
      ['Subject', c.subject],
      ['Issuer', c.issuer],
      ['Serial', c.serialNumber],
      ['Not before', c.notBefore],
      ['Not after', `${c.notAfter}${c.expired ? ' (EXPIRED)' : ''}`],
      ['CA', c.isCA ? 'yes' : 'no'],
      ['Key', key],
      ['Key usage', list(c.keyUsage)],
      ['Ext key usage', list(c.extKeyUsage)],
      ['DNS names', list(c.dnsNames)],
      ['IP addresses', list(c.ipAddresses)],
      ['SHA-256', c.sha256Fingerprint],
      ['SPKI pin', c.spkiPin],
    ];
    return `${c.source}${c.format === 'DER' ? ' (DER)' : ''}\n${rows.map(([k, v]) => `  ${`${k}:`.padEnd(15)}${v}`).join('\n')}\n`;
  });
  return [...blocks, ...result.notes.map((n) => `note: ${n}\n`)].join('\n');
}
