import { describe, expect, it } from 'vitest';
import { decryptBytes, decryptKubeadmCerts, encryptBytes, generateCertificateKey, kubeadmCertsSecret, parseCertificateKey, SHARED_CONTROL_PLANE_FILES } from './copycerts.js';

describe('kubeadm-certs encryption', () => {
  it('round-trips with the certificate key and fails with another key', () => {
    const key = parseCertificateKey(generateCertificateKey());
    const sealed = encryptBytes(Buffer.from('-----BEGIN RSA PRIVATE KEY-----'), key);
    expect(sealed.length).toBe(12 + 31 + 16);
    expect(decryptBytes(sealed, key).toString()).toBe('-----BEGIN RSA PRIVATE KEY-----');
    expect(() => decryptBytes(sealed, parseCertificateKey(generateCertificateKey()))).toThrow();
  });

  it('rejects a certificate key that is not 32 bytes of hex, without echoing it', () => {
    expect(() => parseCertificateKey('abc')).toThrow(expect.objectContaining({ code: 'KF_CERTIFICATE_KEY_INVALID', exitCode: 3 }));
  });

  it("names the Secret's data keys as kubeadm and ties it to its owner token", () => {
    const secret = kubeadmCertsSecret({ 'etcd/ca.key': Buffer.from('k'), 'ca.crt': Buffer.from('c') }, parseCertificateKey(generateCertificateKey()), { name: 'bootstrap-token-abcdef', uid: 'u1' });
    expect(Object.keys(secret.data as object).sort()).toEqual(['ca.crt', 'etcd-ca.key']);
    expect(secret.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Secret', name: 'bootstrap-token-abcdef', uid: 'u1', controller: true }]);
  });
});

describe('decryptKubeadmCerts', () => {
  const files = () => Object.fromEntries(SHARED_CONTROL_PLANE_FILES.map((f) => [f, Buffer.from(`content of ${f}`)]));
  const owner = { name: 'bootstrap-token-abcdef', uid: 'u1' };

  it('gives back every shared file with the key that encrypted them', () => {
    const key = parseCertificateKey(generateCertificateKey());
    const out = decryptKubeadmCerts(kubeadmCertsSecret(files(), key, owner), key);
    expect(Object.keys(out).sort()).toEqual([...SHARED_CONTROL_PLANE_FILES].sort());
    expect(out['etcd/ca.key']!.toString()).toBe('content of etcd/ca.key');
  });

  it('says a wrong key does not decrypt the Secret, naming the Secret and not the key', () => {
    const keyHex = generateCertificateKey();
    const secret = kubeadmCertsSecret(files(), parseCertificateKey(generateCertificateKey()), owner);
    let error: unknown;
    try {
      decryptKubeadmCerts(secret, parseCertificateKey(keyHex));
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'KF_CERTIFICATE_KEY_MISMATCH', exitCode: 3 });
    expect((error as Error).message).toContain('does not decrypt the kube-system/kubeadm-certs Secret');
    expect(JSON.stringify({ m: (error as Error).message, h: (error as { hint: string }).hint })).not.toContain(keyHex);
  });

  it('names the files a partial Secret lacks and both ways to fix it', () => {
    const key = parseCertificateKey(generateCertificateKey());
    const partial = files();
    delete partial['etcd/ca.key'];
    expect(() => decryptKubeadmCerts(kubeadmCertsSecret(partial, key, owner), key)).toThrow(
      expect.objectContaining({ code: 'KF_KUBEADM_CERTS_INCOMPLETE', message: expect.stringContaining('etcd/ca.key'), hint: expect.stringMatching(/upload-certs --upload-certs.*copy /) }),
    );
  });
});
