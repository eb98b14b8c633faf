/**
 * Bootstrap token Secrets as `kubeadm token list` shows them: the Secret read back into a token
 * (bootstraptokenv1.BootstrapTokenFromSecret), the output object (output.kubeadm.k8s.io/v1alpha3
 * BootstrapToken) and the table row (tokenTextPrinter, duration.ShortHumanDuration). Pure.
 */
import { formatRFC3339 } from '../token/index.js';

export const TOKEN_COLUMNS = ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'];
const USAGE_PREFIX = 'usage-bootstrap-';

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

export interface SecretLike {
  metadata: { name?: string };
  data?: Record<string, string>;
}

/** Reads a token Secret; a string is the reason it is not a valid token (never holding its secret). */
export function bootstrapTokenFromSecret(secret: SecretLike): BootstrapTokenOutput | string {
  const name = secret.metadata.name ?? '';
  const data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  const id = data['token-id'] ?? '';
  if (!id) return `bootstrap Token Secret has no token-id data: ${name}`;
  if (name !== `bootstrap-token-${id}`) return `bootstrap token name is not of the form 'bootstrap-token-(token-id)'. Actual: "${name}". Expected: "bootstrap-token-${id}"`;
  const secretPart = data['token-secret'] ?? '';
  if (!secretPart) return `bootstrap Token Secret has no token-secret data: ${name}`;
  if (!/^[a-z0-9]{6}$/.test(id) || !/^[a-z0-9]{16}$/.test(secretPart)) return `bootstrap Token Secret is invalid and couldn't be parsed: ${name}`;
  const out: BootstrapTokenOutput = { kind: 'BootstrapToken', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', token: `${id}.${secretPart}` };
  if (data.description) out.description = data.description;
  if (data.expiration) {
    const at = new Date(data.expiration);
    if (Number.isNaN(at.getTime()) || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(data.expiration)) {
      return `can't parse expiration time of bootstrap token "${name}"`;
    }
    out.expires = formatRFC3339(at);
  }
  const usages = Object.keys(data)
    .filter((k) => k.startsWith(USAGE_PREFIX) && data[k] === 'true')
    .map((k) => k.slice(USAGE_PREFIX.length))
    .sort();
  if (usages.length) out.usages = usages;
  const groups = (data['auth-extra-groups'] ?? '').split(',');
  if (groups[0]) out.groups = groups;
  return out;
}

/** Kubernetes' duration.ShortHumanDuration (kubectl's AGE): `<invalid>` once more than a second late. */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** One `token list` row: `<forever>`/`<never>` without expiration, `<none>` for empty fields. */
export function tokenRow(token: BootstrapTokenOutput, now: Date): string[] {
  const expires = token.expires ? new Date(token.expires) : undefined;
  const orNone = (text: string | undefined) => (text ? text : '<none>');
  return [
    token.token,
    expires ? shortHumanDuration(expires.getTime() - now.getTime()) : '<forever>',
    token.expires ?? '<never>',
    orNone(token.usages?.join(',')),
    orNone(token.description),
    orNone(token.groups?.join(',')),
  ];
}
