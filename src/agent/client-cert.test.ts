import { describe, expect, it } from 'vitest';
import { currentClusterAndUser, parseKubeconfig } from '../kubeconfig/index.js';
import { CLIENT_CERT_CURRENT, datedClientCertName, kubeletKubeconfig, rotationDeadline } from './client-cert.js';

describe('client certificate files', () => {
  it('names the dated PEM file as the kubelet does', () => {
    expect(datedClientCertName(new Date('2026-03-04T05:06:07.890Z'))).toBe('kubelet-client-2026-03-04-05-06-07.pem');
  });

  it('writes a kubelet.conf whose user reads certificate and key from kubelet-client-current.pem', () => {
    const text = kubeletKubeconfig('https://127.0.0.2:6443', '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n', CLIENT_CERT_CURRENT);
    const { cluster, user } = currentClusterAndUser(parseKubeconfig(text));
    expect(cluster.server).toBe('https://127.0.0.2:6443');
    expect(cluster.certificateAuthorityData).toContain('BEGIN CERTIFICATE');
    expect(user).toMatchObject({ clientCertificate: CLIENT_CERT_CURRENT, clientKey: CLIENT_CERT_CURRENT });
  });
});

describe('rotationDeadline', () => {
  it('lies at the given fraction of the lifetime', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date('2026-01-11T00:00:00Z');
    expect(rotationDeadline(notBefore, notAfter, 0.7).toISOString()).toBe('2026-01-08T00:00:00.000Z');
    expect(rotationDeadline(notBefore, notAfter, 0.9).toISOString()).toBe('2026-01-10T00:00:00.000Z');
  });
});
