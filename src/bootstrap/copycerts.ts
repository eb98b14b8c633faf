/**
 * kubeadm's copycerts (phases/copycerts): the control-plane CAs and service-account keys,
 * AES-256-GCM encrypted with the certificate key, in Secret `kube-system/kubeadm-certs`, so a
 * `join --control-plane --certificate-key K` can download them. The Secret is owned by a
 * short-lived bootstrap token, so it is garbage-collected when that token expires (2 h).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { validationError } from '../errors.js';
import type { KubeObject } from '../kube/index.js';
import { DEFAULT_NODE_TOKEN_GROUP, type BindingSpec } from './rbac.js';

export const KUBEADM_CERTS_SECRET = 'kubeadm-certs';
export const CERTIFICATE_KEY_TTL = '2h0m0s';

/**
 * The files copied, relative to the certificates dir (kubeadm's certsToTransfer, local etcd), and
 * kubeforge's EncryptionConfiguration: every API server must hold the key Secrets are encrypted
 * with. A file absent on the first node (external CA, encryption turned off) is not copied.
 */
export const SHARED_CONTROL_PLANE_FILES = [
  'ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'encryption-config.yaml',
] as const;

export const kubeadmCertsBinding: BindingSpec = {
  name: 'kubeadm:kubeadm-certs',
  namespace: 'kube-system',
  roleName: 'kubeadm:kubeadm-certs',
  rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [KUBEADM_CERTS_SECRET] }],
  subjects: [{ kind: 'Group', name: DEFAULT_NODE_TOKEN_GROUP }],
};

/** A new certificate key: 32 random bytes, hex (kubeadm's CreateCertificateKey). */
export function generateCertificateKey(): string {
  return randomBytes(32).toString('hex');
}

export function parseCertificateKey(hex: string): Buffer {
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw validationError('KF_CERTIFICATE_KEY_INVALID', 'the certificate key must be 64 hex characters (32 bytes)', {
      hint: 'use the key `kubeforge init phase upload-certs --upload-certs` printed, or make one with `kubeforge certs certificate-key`',
    });
  }
  return Buffer.from(hex, 'hex');
}

/** kubeadm's EncryptBytes: Go's cipher.AEAD Seal output, nonce first: nonce ‖ ciphertext ‖ tag. */
export function encryptBytes(data: Buffer, key: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  return Buffer.concat([nonce, cipher.update(data), cipher.final(), cipher.getAuthTag()]);
}

export function decryptBytes(sealed: Buffer, key: Buffer): Buffer {
  const nonce = sealed.subarray(0, 12);
  const tag = sealed.subarray(sealed.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}

/** kubeadm's certOrKeyNameToSecretName: `etcd/ca.crt` → `etcd-ca.crt`. */
export const secretDataKey = (file: string) => file.replace(/\//g, '-');

/** The kubeadm-certs Secret, owned by the bootstrap-token Secret that limits its life. */
export function kubeadmCertsSecret(files: Record<string, Buffer>, key: Buffer, owner: { name: string; uid: string }): KubeObject {
  const data: Record<string, string> = {};
  for (const [file, content] of Object.entries(files)) data[secretDataKey(file)] = encryptBytes(content, key).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: KUBEADM_CERTS_SECRET,
      namespace: 'kube-system',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: owner.name, uid: owner.uid, controller: true }],
    },
    type: 'Opaque',
    data,
  };
}

/** How to get the certificates onto a joining control-plane node; both of kubeadm's ways. */
export const UPLOAD_CERTS_HINT =
  'on an existing control-plane node run `kubeforge init phase upload-certs --upload-certs` and join with the certificate key it prints, ' +
  `or copy ${SHARED_CONTROL_PLANE_FILES.join(', ')} from /etc/kubernetes/pki of a control-plane node into this node's /etc/kubernetes/pki by hand and join without --certificate-key`;

/**
 * kubeadm's DownloadCerts: the shared files out of the kubeadm-certs Secret, decrypted with the
 * certificate key. A key that does not open every file is the wrong key (AES-GCM authenticates,
 * so a wrong key never yields garbage); the message names the Secret, never the key.
 */
export function decryptKubeadmCerts(secret: KubeObject, key: Buffer): Record<string, Buffer> {
  const data = (secret.data ?? {}) as Record<string, string>;
  const out: Record<string, Buffer> = {};
  const missing: string[] = [];
  for (const file of SHARED_CONTROL_PLANE_FILES) {
    const sealed = data[secretDataKey(file)];
    if (sealed === undefined) {
      missing.push(file);
      continue;
    }
    try {
      out[file] = decryptBytes(Buffer.from(sealed, 'base64'), key);
    } catch (err) {
      throw validationError('KF_CERTIFICATE_KEY_MISMATCH', `the certificate key does not decrypt the kube-system/${KUBEADM_CERTS_SECRET} Secret (it fails on ${file})`, {
        cause: err,
        hint: `pass the key that \`kubeforge init --upload-certs\` or \`kubeforge init phase upload-certs --upload-certs\` printed last; each upload makes a new key. Or: ${UPLOAD_CERTS_HINT}`,
      });
    }
  }
  if (missing.length > 0) {
    throw validationError('KF_KUBEADM_CERTS_INCOMPLETE', `the kube-system/${KUBEADM_CERTS_SECRET} Secret lacks ${missing.join(', ')}`, { hint: UPLOAD_CERTS_HINT });
  }
  return out;
}
