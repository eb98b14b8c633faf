/**
 * `kubeforge certs check-expiration`: kubeadm's CertificateExpirationInfo for this node's PKI and
 * kubeconfigs (plus the kubelet client certificate), its text table byte for byte, and
 * `--warn-within` for cron and CI. Loads no node-forge, no execa: it must start fast.
 */
import { parseGoDuration, shortHumanDuration } from '../config/duration.js';
import { KubeforgeError, validationError } from '../errors.js';
import { RealFiles, type FileHost } from '../host/files.js';
import { PKI_DIR } from '../host/paths.js';
import { certificateExpirations, type CertificateExpiration } from '../kubeconfig/expiration.js';

export interface CheckExpirationOptions {
  root: string;
  certDir?: string;
  /** `--warn-within`: a Go duration, or whole days (`30d`). */
  warnWithin?: string;
  now?: Date;
  files?: FileHost;
}

/** kubeadm's output.kubeadm.k8s.io/v1alpha3 Certificate. */
export interface ExpirationCertificate {
  name: string;
  /** RFC 3339, UTC, seconds; null when missing (metav1.Time zero value). */
  expirationDate: string | null;
  /** Seconds until expiry (kubeadm's ResidualTimeSeconds), negative once expired. */
  residualTime: number;
  externallyManaged: boolean;
  caName?: string;
  missing: boolean;
}

export interface CertificateExpirationInfo {
  kind: 'CertificateExpirationInfo';
  apiVersion: 'output.kubeadm.k8s.io/v1alpha3';
  certificates: ExpirationCertificate[];
  certificateAuthorities: ExpirationCertificate[];
}

export interface CheckExpirationResult {
  info: CertificateExpirationInfo;
  /** Names of certificates and CAs that expire within --warn-within (or already expired). */
  expiringSoon: string[];
  warnWithinMs?: number;
}

/** `--warn-within`: `30d` (days, for convenience) or any Go duration (`720h`). */
export function parseWarnWithin(text: string): number {
  const days = /^(\d+)d$/.exec(text);
  if (days) return Number(days[1]) * 24 * 3600 * 1000;
  try {
    return parseGoDuration(text);
  } catch {
    throw validationError('KF_CERTS_WARN_WITHIN', `--warn-within ${JSON.stringify(text)} is not a duration`, { hint: 'use whole days (30d) or a Go duration (720h)' });
  }
}

function toOutput(row: CertificateExpiration, now: Date): ExpirationCertificate {
  // Field order as kubeadm's Go struct (caName is omitempty).
  return {
    name: row.name,
    expirationDate: row.notAfter ? row.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
    residualTime: row.notAfter ? Math.trunc((row.notAfter.getTime() - now.getTime()) / 1000) : 0,
    externallyManaged: row.externallyManaged,
    ...(row.caName ? { caName: row.caName } : {}),
    missing: row.missing,
  };
}

export async function runCheckExpiration(options: CheckExpirationOptions): Promise<CheckExpirationResult> {
  const files = options.files ?? new RealFiles(options.root);
  const now = options.now ?? new Date();
  const certDir = options.certDir ?? PKI_DIR;
  const warnWithinMs = options.warnWithin === undefined ? undefined : parseWarnWithin(options.warnWithin);
  const report = await certificateExpirations(files, certDir);
  const all = [...report.certificates, ...report.certificateAuthorities];
  if (all.every((row) => row.missing)) {
    throw new KubeforgeError('KF_PKI_NOT_FOUND', `no certificate of a kubeforge (kubeadm) PKI was found in ${files.resolve(certDir)}`, {
      hint: 'point --root (and --cert-dir) at an initialised node, or run `kubeforge init` first',
    });
  }
  const expiringSoon = warnWithinMs === undefined
    ? []
    : all.filter((row) => row.notAfter && row.notAfter.getTime() - now.getTime() < warnWithinMs).map((row) => row.name);
  return {
    info: {
      kind: 'CertificateExpirationInfo',
      apiVersion: 'output.kubeadm.k8s.io/v1alpha3',
      certificates: report.certificates.map((row) => toOutput(row, now)),
      certificateAuthorities: report.certificateAuthorities.map((row) => toOutput(row, now)),
    },
    expiringSoon,
    ...(warnWithinMs === undefined ? {} : { warnWithinMs }),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** Go's `Jan 02, 2006 15:04 MST` for a UTC time. */
export function formatExpirationDate(iso: string): string {
  const d = new Date(iso);
  return `${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())}, ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

/**
 * Go's text/tabwriter with kubeadm's settings (minwidth 10, tabwidth 4, padding 3, spaces): the
 * tab-terminated cells of a block of lines are padded to their column's width; the text after the
 * last tab is not aligned. An empty line ends a block.
 */
export function goTabwriter(lines: string[]): string {
  const blocks: string[][] = [[]];
  for (const line of lines) {
    if (line === '') blocks.push([]);
    else blocks[blocks.length - 1]!.push(line);
  }
  const rendered = blocks.map((block) => {
    const cells = block.map((line) => line.split('\t'));
    const widths: number[] = [];
    for (const row of cells) row.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length + 3, 10)));
    return cells.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join(''));
  });
  return `${rendered.map((block) => block.join('\n')).join('\n\n')}\n`;
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no').padEnd(8);

/** kubeadm's certTextPrinter. */
export function formatExpirationText(info: CertificateExpirationInfo): string {
  const certLine = (c: ExpirationCertificate) =>
    c.missing
      ? `!MISSING! ${c.name}\t\t\t\t`
      : `${c.name}\t${formatExpirationDate(c.expirationDate!)}\t${shortHumanDuration(c.residualTime)}\t${c.caName ?? ''}\t${yesNo(c.externallyManaged)}`;
  const caLine = (c: ExpirationCertificate) =>
    c.missing ? `!MISSING! ${c.name}\t\t\t` : `${c.name}\t${formatExpirationDate(c.expirationDate!)}\t${shortHumanDuration(c.residualTime)}\t${yesNo(c.externallyManaged)}`;
  return goTabwriter([
    'CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED',
    ...info.certificates.map(certLine),
    '',
    'CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED',
    ...info.certificateAuthorities.map(caLine),
  ]);
}
