/**
 * Bootstrap token Secrets as `kubeadm token list` shows them: the Secret read back into a token
 * (bootstraptokenv1.BootstrapTokenFromSecret), the output object (output.kubeadm.k8s.io/v1alpha3
 * BootstrapToken) and the table row (tokenTextPrinter, duration.ShortHumanDuration). Pure.
 */
import { shortHumanDuration } from '../config/duration.js';
import { formatRFC3339, parseRFC3339, readBootstrapTokenSecret, type SecretObject } from '../token/index.js';

export const TOKEN_COLUMNS = ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'];

/** kubeadm's `output.kubeadm.k8s.io/v1alpha3` BootstrapToken, field order as Go marshals it. */
export interface BootstrapTokenOutput {
  kind: 'BootstrapToken';
  apiVersion: 'output.kubeadm.k8s.io/v1alpha3';
  token: string;
  description?: string;
  expires?: string;
  usages?: string[];
  groups?: string[];
}

/** Reads a token Secret; a string is the reason it is not a valid token (never holding its secret). */
export function bootstrapTokenFromSecret(secret: SecretObject): BootstrapTokenOutput | string {
  const stored = readBootstrapTokenSecret(secret);
  if (typeof stored === 'string') return stored;
  const out: BootstrapTokenOutput = { kind: 'BootstrapToken', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', token: `${stored.id}.${stored.secret}` };
  if (stored.description) out.description = stored.description;
  const expires = parseRFC3339(stored.expiration);
  if (expires) out.expires = formatRFC3339(expires);
  if (stored.usages.length) out.usages = stored.usages;
  if (stored.groups.length) out.groups = stored.groups;
  return out;
}

/** One `token list` row: `<forever>`/`<never>` without expiration, `<none>` for empty fields. */
export function tokenRow(token: BootstrapTokenOutput, now: Date): string[] {
  const expires = token.expires ? new Date(token.expires) : undefined;
  const orNone = (text: string | undefined) => (text ? text : '<none>');
  return [
    token.token,
    expires ? shortHumanDuration(Math.trunc((expires.getTime() - now.getTime()) / 1000)) : '<forever>',
    token.expires ?? '<never>',
    orNone(token.usages?.join(',')),
    orNone(token.description),
    orNone(token.groups?.join(',')),
  ];
}
