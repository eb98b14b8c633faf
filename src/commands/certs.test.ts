import { describe, expect, it } from 'vitest';
import { shortHumanDuration } from '../config/duration.js';
import { formatExpirationText, goTabwriter, type CertificateExpirationInfo } from './certs-check-expiration.js';
import { stampCertsRenewedAt } from './certs-restart.js';

describe('check-expiration text', () => {
  it("formats residual time as apimachinery's ShortHumanDuration", () => {
    expect([-5, -1, 59, 3599, 86399, 364 * 86400 + 3600, 9.9 * 365 * 86400].map((s) => shortHumanDuration(Math.trunc(s)))).toEqual(['<invalid>', '0s', '59s', '59m', '23h', '364d', '9y']);
  });

  it("aligns like Go's tabwriter (minwidth 10, padding 3): text after the last tab is not padded, a blank line ends a block", () => {
    expect(goTabwriter(['a\tbb\tlast', 'ccc\td\tx', '', 'z\ty'])).toBe('a         bb        last\nccc       d         x\n\nz         y\n');
  });

  it('prints missing certificates as kubeadm does', () => {
    const info: CertificateExpirationInfo = {
      kind: 'CertificateExpirationInfo',
      apiVersion: 'output.kubeadm.k8s.io/v1alpha3',
      certificates: [
        { name: 'apiserver', expirationDate: '2027-11-23T10:00:00Z', residualTime: 364 * 86400, externallyManaged: false, caName: 'ca', missing: false },
        { name: 'admin.conf', expirationDate: null, residualTime: 0, externallyManaged: false, missing: true },
      ],
      certificateAuthorities: [{ name: 'ca', expirationDate: '2036-11-20T10:00:00Z', residualTime: 3650 * 86400, externallyManaged: true, missing: false }],
    };
    expect(formatExpirationText(info).split('\n')).toEqual([
      'CERTIFICATE            EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED',
      'apiserver              Nov 23, 2027 10:00 UTC   364d            ca                      no      ',
      '!MISSING! admin.conf                                                                    ',
      '',
      'CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED',
      'ca                      Nov 20, 2036 10:00 UTC   10y             yes     ',
      '',
    ]);
  });
});

describe('restarting static pods after a renewal', () => {
  const manifest = 'apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: null\n  labels:\n    component: kube-scheduler\n  name: kube-scheduler\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n    - kube-scheduler\n    - --bind-address=127.0.0.1\n    image: registry.k8s.io/kube-scheduler:v1.32.0\n    name: kube-scheduler\nstatus: {}\n';

  it('adds the certs-renewed-at annotation and changes nothing else', () => {
    const stamped = stampCertsRenewedAt(manifest, new Date('2026-01-02T03:04:05Z'));
    expect(stamped).toBe(manifest.replace('metadata:\n', 'metadata:\n  annotations:\n    kubeforge.io/certs-renewed-at: "2026-01-02T03:04:05.000Z"\n'));
  });

  it('refreshes an existing stamp, so every renewal restarts the pod again', () => {
    const once = stampCertsRenewedAt(manifest, new Date('2026-01-02T03:04:05Z'));
    const twice = stampCertsRenewedAt(once, new Date('2026-02-02T03:04:05Z'));
    expect(twice).not.toBe(once);
    expect(twice).toContain('kubeforge.io/certs-renewed-at: "2026-02-02T03:04:05.000Z"');
  });
});
