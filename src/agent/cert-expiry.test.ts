import { describe, expect, it } from 'vitest';
import type { CertificateExpiration, ExpirationReport } from '../kubeconfig/index.js';
import { certificateLifetimeMs, expirationMetricsText, expiryEvent, pendingExpiryWarnings, renewalDue, renewalTime } from './cert-expiry.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
/** A certificate as kubeforge issues it at t0: notBefore backdated 5 minutes. */
const issued = (validityMs: number) => ({ notBefore: at(-5 * MIN), notAfter: at(validityMs) });

describe('when auto-renew renews a certificate', () => {
  it('renews a 2m certificate 80 s after it was issued, not at birth despite the 5-minute backdate', () => {
    const cert = issued(2 * MIN);
    expect(certificateLifetimeMs(cert)).toBe(2 * MIN);
    expect(renewalTime(cert)).toEqual(at(80_000));
    expect(renewalDue(cert, at(0))).toBe(false);
    expect(renewalDue(cert, at(79_999))).toBe(false);
    expect(renewalDue(cert, at(80_000))).toBe(true);
  });

  it('renews a one-year certificate after 243⅓ days, and an expired one at once', () => {
    const cert = issued(365 * DAY);
    expect(renewalDue(cert, at(243 * DAY))).toBe(false);
    expect(renewalDue(cert, at(244 * DAY))).toBe(true);
    expect(renewalDue(cert, at(400 * DAY))).toBe(true);
  });

  it('treats a certificate that was not backdated by its whole validity window', () => {
    const cert = { notBefore: t0, notAfter: at(3 * MIN) };
    // 5 minutes of backdate would exceed the window: the plain window is the lifetime.
    expect(certificateLifetimeMs(cert)).toBe(3 * MIN);
    expect(renewalTime(cert)).toEqual(at(2 * MIN));
  });
});

const row = (name: string, notAfter: Date | undefined, extra: Partial<CertificateExpiration> = {}): CertificateExpiration => ({
  name, file: `/r/etc/kubernetes/pki/${name}.crt`, caName: 'ca', notAfter, externallyManaged: false, missing: notAfter === undefined, ...extra,
});

describe('the expiry metrics', () => {
  it('prints one gauge line per present certificate and CA, in seconds until notAfter, negative once expired', () => {
    const report: ExpirationReport = {
      certificates: [row('apiserver', at(90_000)), row('admin.conf', at(-2000), { file: '/r/etc/kubernetes/admin.conf' }), row('etcd-peer', undefined)],
      certificateAuthorities: [row('ca', at(10 * 365 * DAY), { caName: undefined, externallyManaged: true })],
    };
    expect(expirationMetricsText(report, t0)).toBe([
      '# HELP kubeforge_certificate_expiration_seconds Seconds until the certificate expires (notAfter - now).',
      '# TYPE kubeforge_certificate_expiration_seconds gauge',
      'kubeforge_certificate_expiration_seconds{name="apiserver",file="/r/etc/kubernetes/pki/apiserver.crt",externally_managed="false",ca="ca"} 90',
      'kubeforge_certificate_expiration_seconds{name="admin.conf",file="/r/etc/kubernetes/admin.conf",externally_managed="false",ca="ca"} -2',
      '# HELP kubeforge_certificate_authority_expiration_seconds Seconds until the CA certificate expires (notAfter - now).',
      '# TYPE kubeforge_certificate_authority_expiration_seconds gauge',
      'kubeforge_certificate_authority_expiration_seconds{name="ca",file="/r/etc/kubernetes/pki/ca.crt",externally_managed="true"} 315360000',
      '',
    ].join('\n'));
  });

  it('escapes quotes, backslashes and newlines in label values', () => {
    const report: ExpirationReport = { certificates: [row('x', at(1000), { file: 'C:\\a "b"\nc' })], certificateAuthorities: [] };
    expect(expirationMetricsText(report, t0)).toContain('file="C:\\\\a \\"b\\"\\nc"');
  });
});

describe('the CertificateExpiringSoon warning', () => {
  const report = (apiserverNotAfter: Date): ExpirationReport => ({
    certificates: [row('apiserver', apiserverNotAfter), row('admin.conf', at(365 * DAY))],
    certificateAuthorities: [row('ca', at(3650 * DAY), { caName: undefined })],
  });

  it('is due once a certificate is within 30 days of notAfter, and only for that certificate', () => {
    const sent = new Set<string>();
    expect(pendingExpiryWarnings(report(at(31 * DAY)), t0, sent)).toEqual([]);
    const due = pendingExpiryWarnings(report(at(31 * DAY)), at(1 * DAY + 1), sent);
    expect(due.map((w) => w.cert.name)).toEqual(['apiserver']);
  });

  it('is not due again for the same certificate and notAfter as time goes on, but is for a renewed one', () => {
    const sent = new Set<string>();
    const first = pendingExpiryWarnings(report(at(10 * DAY)), t0, sent);
    expect(first).toHaveLength(1);
    for (const w of first) sent.add(w.key);
    expect(pendingExpiryWarnings(report(at(10 * DAY)), at(1 * DAY), sent)).toEqual([]);
    expect(pendingExpiryWarnings(report(at(10 * DAY)), at(20 * DAY), sent)).toEqual([]);
    // Renewed to a date still within 30 days (a short validity): a new warning.
    expect(pendingExpiryWarnings(report(at(25 * DAY)), at(20 * DAY), sent).map((w) => w.cert.name)).toEqual(['apiserver']);
  });

  it('covers CAs too, and never warns about missing files', () => {
    const r: ExpirationReport = { certificates: [row('etcd-peer', undefined)], certificateAuthorities: [row('front-proxy-ca', at(DAY), { caName: undefined })] };
    expect(pendingExpiryWarnings(r, t0, new Set()).map((w) => `${w.kind}/${w.cert.name}`)).toEqual(['certificate authority/front-proxy-ca']);
  });

  it('is a Warning Event on the Node from kubeforge-agent naming the certificate and its expiry', () => {
    const [warning] = pendingExpiryWarnings(report(at(10 * DAY)), t0, new Set());
    const event = expiryEvent('cp1', warning!, t0);
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'CertificateExpiringSoon',
      involvedObject: { kind: 'Node', name: 'cp1', uid: 'cp1' },
      source: { component: 'kubeforge-agent', host: 'cp1' },
      metadata: { namespace: 'default' },
      firstTimestamp: '2026-01-01T00:00:00Z',
      count: 1,
    });
    expect(event.metadata.name).toMatch(/^cp1\.[0-9a-f]+$/);
    // Several warnings of one round get distinct names (the first try of this collided: 409 AlreadyExists).
    expect(expiryEvent('cp1', warning!, t0, 1).metadata.name).not.toBe(event.metadata.name);
    expect(event.message).toBe('certificate apiserver (/r/etc/kubernetes/pki/apiserver.crt) expires on 2026-01-11T00:00:00.000Z; renew it with `kubeforge certs renew apiserver`');
  });
});
