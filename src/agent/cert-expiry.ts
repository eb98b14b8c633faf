/**
 * The pure rules of the agent's certificate care: when a certificate is due for automatic
 * renewal (2/3 of its lifetime), how long its renewal is valid (the same lifetime), the
 * Prometheus text of the expiry gauges, and which expiry warnings (30 days ahead) are still to
 * be sent — once per certificate and notAfter.
 */
import type { CertificateExpiration, ExpirationReport } from '../kubeconfig/index.js';
import type { KubeObject } from '../kube/index.js';
import { CERTIFICATE_BACKDATE_MS } from '../pki/index.js';

/** Renew when this fraction of the lifetime has passed. */
export const RENEW_AT_FRACTION = 2 / 3;
/** Warn this long before a certificate expires. */
export const EXPIRY_WARNING_MS = 30 * 24 * 3600 * 1000;
export const EXPIRING_SOON_REASON = 'CertificateExpiringSoon';
export const AGENT_EVENT_COMPONENT = 'kubeforge-agent';

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/**
 * When it was issued: kubeadm (and kubeforge) backdate notBefore by 5 minutes against clock
 * skew, which is not lifetime — counted as such, a 2m certificate would be "due" at birth.
 */
function issuedAt(cert: Validity): number {
  return Math.min(cert.notBefore.getTime() + CERTIFICATE_BACKDATE_MS, cert.notAfter.getTime());
}

/** The validity it was issued with (notAfter − issue time); its renewal gets the same. */
export function certificateLifetimeMs(cert: Validity): number {
  const lifetime = cert.notAfter.getTime() - issuedAt(cert);
  return lifetime > 0 ? lifetime : cert.notAfter.getTime() - cert.notBefore.getTime();
}

/** When auto-renew renews it. */
export function renewalTime(cert: Validity, fraction = RENEW_AT_FRACTION): Date {
  const start = cert.notAfter.getTime() - certificateLifetimeMs(cert);
  return new Date(start + fraction * certificateLifetimeMs(cert));
}

export function renewalDue(cert: Validity, now: Date, fraction = RENEW_AT_FRACTION): boolean {
  return now.getTime() >= renewalTime(cert, fraction).getTime();
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function gauge(metric: string, help: string, rows: CertificateExpiration[], now: Date, labels: (row: CertificateExpiration) => Record<string, string>): string[] {
  const lines = [`# HELP ${metric} ${help}`, `# TYPE ${metric} gauge`];
  for (const row of rows) {
    if (!row.notAfter) continue;
    const text = Object.entries(labels(row)).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    lines.push(`${metric}{${text}} ${Math.round((row.notAfter.getTime() - now.getTime()) / 1000)}`);
  }
  return lines;
}

/** The Prometheus text (format 0.0.4) of every present certificate's and CA's seconds until notAfter (negative once expired). */
export function expirationMetricsText(report: ExpirationReport, now: Date): string {
  const common = (row: CertificateExpiration) => ({ name: row.name, file: row.file, externally_managed: String(row.externallyManaged) });
  return [
    ...gauge('kubeforge_certificate_expiration_seconds', 'Seconds until the certificate expires (notAfter - now).', report.certificates, now, (row) => ({ ...common(row), ca: row.caName ?? '' })),
    ...gauge('kubeforge_certificate_authority_expiration_seconds', 'Seconds until the CA certificate expires (notAfter - now).', report.certificateAuthorities, now, common),
  ].join('\n') + '\n';
}

export interface ExpiryWarning {
  /** `${kind}/${name}@${notAfter}`: a renewal (new notAfter) makes a new key. */
  key: string;
  kind: 'certificate' | 'certificate authority';
  cert: CertificateExpiration & { notAfter: Date };
}

/** The certificates and CAs expiring within `withinMs` of `now` that have no warning in `sent` yet. */
export function pendingExpiryWarnings(report: ExpirationReport, now: Date, sent: ReadonlySet<string>, withinMs = EXPIRY_WARNING_MS): ExpiryWarning[] {
  const rows = [
    ...report.certificates.map((cert) => ({ kind: 'certificate' as const, cert })),
    ...report.certificateAuthorities.map((cert) => ({ kind: 'certificate authority' as const, cert })),
  ];
  const warnings: ExpiryWarning[] = [];
  for (const { kind, cert } of rows) {
    if (!cert.notAfter || cert.notAfter.getTime() - now.getTime() > withinMs) continue;
    const key = `${kind}/${cert.name}@${cert.notAfter.toISOString()}`;
    if (!sent.has(key)) warnings.push({ key, kind, cert: { ...cert, notAfter: cert.notAfter } });
  }
  return warnings;
}

export interface NodeEvent extends KubeObject {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: { kind: 'Node'; name: string; uid: string };
  reason: string;
  message: string;
  type: 'Warning' | 'Normal';
  source: { component: string; host: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
}

/**
 * The Warning Event on the Node, as the kubelet records node events (namespace default, uid =
 * node name, named <node>.<hex nanoseconds>); `seq` tells apart events made at the same instant.
 */
export function expiryEvent(nodeName: string, warning: ExpiryWarning, now: Date, seq = 0): NodeEvent {
  const { cert, kind } = warning;
  const left = cert.notAfter.getTime() - now.getTime();
  const when = left <= 0 ? 'expired on' : 'expires on';
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${nodeName}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(seq)).toString(16)}`, namespace: 'default' },
    involvedObject: { kind: 'Node', name: nodeName, uid: nodeName },
    reason: EXPIRING_SOON_REASON,
    message: `${kind} ${cert.name} (${cert.file}) ${when} ${cert.notAfter.toISOString()}` +
      (cert.externallyManaged ? '; it is externally managed: have your CA sign a new one' : kind === 'certificate' && cert.name !== 'kubelet-client-current.pem' ? `; renew it with \`kubeforge certs renew ${cert.name}\`` : ''),
    type: 'Warning',
    source: { component: AGENT_EVENT_COMPONENT, host: nodeName },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    reportingComponent: AGENT_EVENT_COMPONENT,
    reportingInstance: nodeName,
  };
}
