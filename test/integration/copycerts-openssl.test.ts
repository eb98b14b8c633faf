/** kubeadm-certs encryption read back by the openssl CLI: the byte layout is Go's. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { encryptBytes, generateCertificateKey, parseCertificateKey } from '../../src/bootstrap/copycerts.js';

describe('kubeadm-certs encryption', () => {
  it('lays the bytes out as Go does (nonce, ciphertext, tag), which openssl can decrypt', () => {
    const keyHex = generateCertificateKey();
    const sealed = encryptBytes(Buffer.from('hello'), parseCertificateKey(keyHex));
    const nonce = sealed.subarray(0, 12).toString('hex');
    const ciphertext = sealed.subarray(12, sealed.length - 16);
    // openssl enc has no GCM tag check; AES-GCM's keystream is CTR from nonce‖00000002
    const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-ctr', '-K', keyHex, '-iv', `${nonce}00000002`, '-nopad'], { input: ciphertext });
    expect(plain.toString()).toBe('hello');
  });
});
