/**
 * The Secret kubeadm stores for a bootstrap token (`kube-system/bootstrap-token-<id>`, type
 * bootstrap.kubernetes.io/token): built as kubeadm's encodeTokenSecretData builds it, and read
 * back as kubeadm's BootstrapTokenFromSecret and cluster-bootstrap's secret util read it.
 */
import type { BootstrapToken } from '../config/types.js';
import { validationError } from '../errors.js';
import { parseGoDuration } from '../config/duration.js';
import { formatRFC3339, parseRFC3339 } from './expiration.js';
import { BOOTSTRAP_GROUP_PATTERN, BOOTSTRAP_TOKEN_USAGES, isBootstrapGroup, isBootstrapTokenId, isBootstrapTokenSecretValue, isBootstrapTokenUsage, parseBootstrapToken } from './token.js';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
const USAGE_PREFIX = 'usage-bootstrap-';

export type BootstrapTokenOptions = Partial<Omit<BootstrapToken, 'token'>>;

export interface BootstrapTokenSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: 'kube-system' };
  type: typeof BOOTSTRAP_TOKEN_SECRET_TYPE;
  /** base64 values, as the API expects in `data`. */
  data: Record<string, string>;
}

/** When the token expires: `expires` wins over `ttl`; a zero TTL never expires (undefined). */
function bootstrapTokenExpiration(options: BootstrapTokenOptions, now: Date): Date | undefined {
  if (options.expires) {
    const at = parseRFC3339(options.expires);
    if (!at) {
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
    if (!isBootstrapTokenUsage(usage)) {
      throw validationError('KF_TOKEN_USAGE_INVALID', `bootstrap token usage ${JSON.stringify(usage)} is not one of ${BOOTSTRAP_TOKEN_USAGES.join(', ')}`, {
        hint: 'use --usages signing,authentication (or a subset)',
      });
    }
    data[`${USAGE_PREFIX}${usage}`] = 'true';
  }
  const groups = options.groups ?? [];
  for (const group of groups) {
    if (!isBootstrapGroup(group)) {
      throw validationError('KF_TOKEN_GROUP_INVALID', `bootstrap token group ${JSON.stringify(group)} must match ${BOOTSTRAP_GROUP_PATTERN.source}`, {
        hint: 'extra groups must start with system:bootstrappers:, e.g. system:bootstrappers:kubeadm:default-node-token',
      });
    }
  }
  if (groups.length > 0) data['auth-extra-groups'] = groups.join(',');
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`, namespace: 'kube-system' },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: encoded,
  };
}

/** What a token Secret is read from: any Secret-shaped object (the API's, a client's, a test's). */
export interface SecretObject {
  metadata: { name?: string; namespace?: string };
  type?: string;
  data?: Record<string, string>;
}

/** A data value decoded from base64, '' when absent (cluster-bootstrap's GetData). */
export function secretDataValue(secret: Pick<SecretObject, 'data'>, key: string): string {
  const value = secret.data?.[key];
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
}

export const isBootstrapTokenSecret = (secret: Pick<SecretObject, 'type'>): boolean => secret.type === BOOTSTRAP_TOKEN_SECRET_TYPE;

/** A token as its Secret holds it. `expiration` is the raw value ('' for none): judge it with tokenExpiration. */
export interface StoredBootstrapToken {
  id: string;
  secret: string;
  description: string;
  expiration: string;
  /** The usages whose usage-bootstrap-<usage> is exactly "true", sorted. */
  usages: string[];
  /** auth-extra-groups, as written (kubeadm's token list shows them unchecked). */
  groups: string[];
}

/**
 * The token a Secret holds, or why it holds none, as kubeadm's BootstrapTokenFromSecret: the
 * name must be bootstrap-token-<token-id>, id and secret well formed, the expiration RFC 3339.
 * The reason never quotes the token secret.
 */
export function readBootstrapTokenSecret(secret: SecretObject): StoredBootstrapToken | string {
  const name = secret.metadata.name ?? '';
  const id = secretDataValue(secret, 'token-id');
  if (!id) return `bootstrap Token Secret has no token-id data: ${name}`;
  if (name !== `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`) return `bootstrap token name is not of the form '${BOOTSTRAP_TOKEN_SECRET_PREFIX}(token-id)'. Actual: "${name}". Expected: "${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}"`;
  const tokenSecret = secretDataValue(secret, 'token-secret');
  if (!tokenSecret) return `bootstrap Token Secret has no token-secret data: ${name}`;
  if (!isBootstrapTokenId(id) || !isBootstrapTokenSecretValue(tokenSecret)) return `bootstrap Token Secret is invalid and couldn't be parsed: ${name}`;
  const expiration = secretDataValue(secret, 'expiration');
  if (expiration && !parseRFC3339(expiration)) return `can't parse expiration time of bootstrap token "${name}"`;
  const usages = Object.keys(secret.data ?? {})
    .filter((key) => key.startsWith(USAGE_PREFIX) && secretDataValue(secret, key) === 'true')
    .map((key) => key.slice(USAGE_PREFIX.length))
    .sort();
  const groups = secretDataValue(secret, 'auth-extra-groups');
  return { id, secret: tokenSecret, description: secretDataValue(secret, 'description'), expiration, usages, groups: groups ? groups.split(',') : [] };
}
