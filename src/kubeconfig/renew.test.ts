import { describe, expect, it } from 'vitest';
import { buildKubeconfig, currentClusterAndUser, parseKubeconfig } from './kubeconfig.js';
import { referClientCredentialsTo, replaceClientCredentials } from './renew.js';

const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';

describe('replaceClientCredentials', () => {
  it("replaces only the current user's embedded certificate and key", () => {
    const before = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.2:6443', caPem: CA, userName: 'admin', clientCertPem: 'OLD CERT', clientKeyPem: 'OLD KEY' });
    const after = replaceClientCredentials(before, 'NEW CERT', 'NEW KEY');
    expect(after).toBe(before.replace(Buffer.from('OLD CERT').toString('base64'), Buffer.from('NEW CERT').toString('base64')).replace(Buffer.from('OLD KEY').toString('base64'), Buffer.from('NEW KEY').toString('base64')));
  });

  it('refuses a kubeconfig whose user authenticates with a token', () => {
    const token = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.2:6443', caPem: CA, userName: 'admin', token: 'abcdef.0123456789abcdef' });
    expect(() => replaceClientCredentials(token, 'C', 'K')).toThrow(expect.objectContaining({ code: 'KF_KUBECONFIG_NO_CLIENT_CERT' }));
  });
});

describe('referClientCredentialsTo', () => {
  const PEM = '/var/lib/kubelet/pki/kubelet-client-current.pem';
  const kubelet = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.2:6443', caPem: CA, userName: 'system:node:cp1', clientCertPem: 'NODE CERT', clientKeyPem: 'NODE KEY' });

  it("replaces the current user's embedded certificate and key with references to the PEM file, keeping every other line", () => {
    const after = referClientCredentialsTo(kubelet, PEM);
    const lines = kubelet.split('\n');
    const at = lines.findIndex((l) => l.includes('client-certificate-data:'));
    lines.splice(at, 2, `    client-certificate: ${PEM}`, `    client-key: ${PEM}`);
    expect(after).toBe(lines.join('\n'));
    const { cluster, user } = currentClusterAndUser(parseKubeconfig(after));
    expect(user).toEqual({ name: 'system:node:cp1', clientCertificate: PEM, clientKey: PEM });
    expect(cluster.certificateAuthorityData).toBe(CA);
  });

  it('leaves a user that already refers to the PEM file as it is', () => {
    const once = referClientCredentialsTo(kubelet, PEM);
    expect(referClientCredentialsTo(once, PEM)).toBe(once);
  });

  it('changes only the current context user when the file holds others', () => {
    const other = '- name: someone-else\n  user:\n    client-certificate-data: T1RIRVI=\n    client-key-data: T1RIRVIgS0VZ\n';
    const two = kubelet.replace('users:\n', `users:\n${other}`);
    const after = referClientCredentialsTo(two, PEM);
    expect(after).toContain(other);
    expect(currentClusterAndUser(parseKubeconfig(after)).user).toMatchObject({ clientCertificate: PEM, clientKey: PEM });
    expect(currentClusterAndUser(parseKubeconfig(after)).user?.clientCertificateData).toBeUndefined();
  });

  it('refuses a user that authenticates with a token', () => {
    const token = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.2:6443', caPem: CA, userName: 'x', token: 'abcdef.0123456789abcdef' });
    expect(() => referClientCredentialsTo(token, PEM)).toThrow(expect.objectContaining({ code: 'KF_KUBECONFIG_NO_CLIENT_CERT' }));
  });
});
