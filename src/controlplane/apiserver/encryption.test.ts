import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptionConfiguration } from '../../pki/encryption-config.js';
import { parseEncryptionConfiguration } from './encryption.js';

const KEY = Buffer.alloc(32, 1);
const SECRET_KEY = '/registry/secrets/default/s';
const plain = Buffer.from('{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"}}');
const config = (providers: string) => `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n${providers}`;

describe('encryption at rest', () => {
  it('writes upstream aescbc: the prefix, a random IV, AES-CBC with PKCS#7 padding', () => {
    const t = parseEncryptionConfiguration(encryptionConfiguration('key1', KEY), '/registry');
    const sealed = t.toStorage(SECRET_KEY, plain);
    const prefix = Buffer.from('k8s:enc:aescbc:v1:key1:');
    expect(sealed.subarray(0, prefix.length).equals(prefix)).toBe(true);
    const body = sealed.subarray(prefix.length);
    const d = createDecipheriv('aes-256-cbc', KEY, body.subarray(0, 16));
    expect(Buffer.concat([d.update(body.subarray(16)), d.final()]).equals(plain)).toBe(true);
    expect(t.fromStorage(SECRET_KEY, sealed).equals(plain)).toBe(true);
    expect(t.toStorage(SECRET_KEY, plain).equals(sealed)).toBe(false);
  });

  it('binds aesgcm ciphertext to its etcd key', () => {
    const t = parseEncryptionConfiguration(config(`  - aesgcm:\n      keys:\n      - name: k\n        secret: ${KEY.toString('base64')}\n`), '/registry');
    const sealed = t.toStorage(SECRET_KEY, plain);
    expect(sealed.toString('latin1').startsWith('k8s:enc:aesgcm:v1:k:')).toBe(true);
    expect(t.fromStorage(SECRET_KEY, sealed).equals(plain)).toBe(true);
    expect(() => t.fromStorage('/registry/secrets/default/other', sealed)).toThrow(/no matching prefix/);
  });

  it('reads plain values through identity, but never encrypted ones it has no key for', () => {
    const t = parseEncryptionConfiguration(encryptionConfiguration('key1', KEY), '/registry');
    expect(t.fromStorage(SECRET_KEY, plain).equals(plain)).toBe(true);
    const other = parseEncryptionConfiguration(encryptionConfiguration('key1', Buffer.alloc(32, 2)), '/registry');
    expect(() => other.fromStorage(SECRET_KEY, t.toStorage(SECRET_KEY, plain))).toThrow(/no matching prefix/);
  });

  it('leaves resources the configuration does not name untouched', () => {
    const t = parseEncryptionConfiguration(encryptionConfiguration('key1', KEY), '/registry');
    expect(t.toStorage('/registry/configmaps/default/c', plain).equals(plain)).toBe(true);
  });

  it('decrypts with an older key listed after the write key (rotation)', () => {
    const old = parseEncryptionConfiguration(encryptionConfiguration('old', KEY), '/registry');
    const rotated = parseEncryptionConfiguration(
      config(`  - aescbc:\n      keys:\n      - name: new\n        secret: ${Buffer.alloc(32, 9).toString('base64')}\n      - name: old\n        secret: ${KEY.toString('base64')}\n`),
      '/registry',
    );
    expect(rotated.fromStorage(SECRET_KEY, old.toStorage(SECRET_KEY, plain)).equals(plain)).toBe(true);
    expect(rotated.toStorage(SECRET_KEY, plain).toString('latin1').startsWith('k8s:enc:aescbc:v1:new:')).toBe(true);
  });

  it.each([
    ['not YAML', '{', /not YAML/],
    ['a wrong kind', 'kind: Policy\napiVersion: audit.k8s.io/v1\n', /EncryptionConfiguration/],
    ['a short key', config('  - aescbc:\n      keys:\n      - name: k\n        secret: c2hvcnQ=\n'), /16, 24 or 32-byte/],
    ['secretbox', config(`  - secretbox:\n      keys:\n      - name: k\n        secret: ${KEY.toString('base64')}\n`), /secretbox.*not supported/],
    ['two providers in one entry', config('  - identity: {}\n    aescbc: {}\n'), /exactly one provider/],
    ['no providers', 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: []\n', /at least one provider/],
  ])('refuses a configuration with %s, naming the problem', (_what, text, message) => {
    expect(() => parseEncryptionConfiguration(text, '/registry')).toThrow(message);
  });
});
