/**
 * The Secret kubeadm stores for a bootstrap token (`kube-system/bootstrap-token-<id>`, type
 * bootstrap.kubernetes.io/token), as kubeadm's encodeTokenSecretData builds it.
 */
import type { BootstrapToken } from '../config/types.js';
import { validationError } from '../errors.js';
import { parseGoDuration } from '../config/duration.js';
import { parseBootstrapToken } from './token.js';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_USAGES = ['signing', 'authentication'] as const;
const GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

export type BootstrapTokenOptions = Partial<Omit<BootstrapToken, 'token'>>;

export interface BootstrapTokenSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: 'kube-system' };
  type: typeof BOOTSTRAP_TOKEN_SECRET_TYPE;
  /** base64 values, as the API expects in `data`. */
  data: Record<string, string>;
}

/** Go's time.RFC3339 in UTC: `2006-01-02T15:04:05Z`. */
export function formatRFC3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** When the token expires: `expires` wins over `ttl`; a zero TTL never expires (undefined). */
export function bootstrapTokenExpiration(options: BootstrapTokenOptions, now: Date): Date | undefined {
  if (options.expires) {
    const at = new Date(options.expires);
    if (Number.isNaN(at.getTime())) {
      throw validationError('KF_TOKEN_EXPIRES_INVALID', `bootstrap token expires ${JSON.stringify(options.expires)} is not an RFC 3339 time`, {
        hint: 'use a time such as 2030-01-02T15:04:05Z',
      });
    }
    return at;
  }
  const ttl = options.ttl ? parseGoDuration(options.ttl) : 0;
  return ttl > 0 ? new Date(now.getTime() + ttl) : undefined;
}

export function bootstrapTokenSecret(token: string, options: BootstrapTokenOptions, now: Date): BootstrapTokenSecret {
  const { id, secret } = parseBootstrapToken(token);
  const data: Record<string, string> = { 'token-id': id, 'token-secret': secret };
  if (options.description) data.description = options.description;
  const expiration = bootstrapTokenExpiration(options, now);
  if (expiration) data.expiration = formatRFC3339(expiration);
  for (const usage of options.usages ?? []) {
    if (!(BOOTSTRAP_TOKEN_USAGES as readonly string[]).includes(usage)) {
      throw validationError('KF_TOKEN_USAGE_INVALID', `bootstrap token usage ${JSON.stringify(usage)} is not one of ${BOOTSTRAP_TOKEN_USAGES.join(', ')}`, {
        hint: 'use --usages signing,authentication (or a subset)',
      });
    }
    data[`usage-bootstrap-${usage}`] = 'true';
  }
  const groups = options.groups ?? [];
  for (const group of groups) {
    if (!GROUP_RE.test(group)) {
      throw validationError('KF_TOKEN_GROUP_INVALID', `bootstrap token group ${JSON.stringify(group)} must match ${GROUP_RE.source}`, {
        hint: 'extra groups must start with system:bootstrappers:, e.g. system:bootstrappers:kubeadm:default-node-token',
      });
    }
  }
  if (groups.length > 0) data['auth-extra-groups'] = groups.join(',');
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: encoded,
  };
}
