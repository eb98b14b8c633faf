/** Builders for the objects the controller tests feed in. */
import type { Secret } from '../../src/controlplane/controllers/bootstraptoken.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A bootstrap token Secret as kubeadm writes it; `data` overrides or (with undefined) drops keys. */
export function tokenSecret(token: string, data: Record<string, string | undefined> = {}, name?: string): Secret {
  const [id, secret] = token.split('.');
  const fields: Record<string, string | undefined> = {
    'token-id': id,
    'token-secret': secret,
    'usage-bootstrap-signing': 'true',
    'usage-bootstrap-authentication': 'true',
    'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
    ...data,
  };
  const encoded: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) encoded[k] = b64(v);
  return { apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: name ?? `bootstrap-token-${id}`, namespace: 'kube-system' }, data: encoded };
}
