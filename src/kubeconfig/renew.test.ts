import { describe, expect, it } from 'vitest';
import { buildKubeconfig } from './kubeconfig.js';
import { replaceClientCredentials } from './renew.js';

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
