/**
 * Bootstrap token Secrets as the bootstrapsigner and tokencleaner read them (cluster-bootstrap's
 * secret util): `kube-system/bootstrap-token-<id>` of type bootstrap.kubernetes.io/token, data
 * `token-id`, `token-secret`, `expiration` (RFC 3339), `usage-bootstrap-signing`. An expiration
 * that does not parse counts as expired, so such a token is neither trusted nor kept.
 */
import type { KubeObject } from '../../kube/index.js';

export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
const TOKEN_ID = /^[a-z0-9]{6}$/;
const TOKEN_SECRET = /^[a-z0-9]{16}$/;

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** A data value of the Secret, decoded from base64 ('' when absent). */
export function secretData(secret: Secret, key: string): string {
  const value = secret.data?.[key];
  return value ? Buffer.from(value, 'base64').toString('utf8') : '';
}

export const isBootstrapTokenSecret = (secret: Secret) => secret.type === BOOTSTRAP_TOKEN_SECRET_TYPE;

export type Expiration = { kind: 'none' } | { kind: 'expired' } | { kind: 'expires'; inMs: number };

/** When the token expires relative to `now` (cluster-bootstrap's GetExpiration). */
export function tokenExpiration(secret: Secret, now: Date): Expiration {
  const text = secretData(secret, 'expiration');
  if (!text) return { kind: 'none' };
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) return { kind: 'expired' };
  const inMs = at - now.getTime();
  return inMs <= 0 ? { kind: 'expired' } : { kind: 'expires', inMs };
}

export interface SigningToken {
  id: string;
  secret: string;
}

/**
 * The token this Secret lets the bootstrapsigner sign with, or undefined: the name must be
 * bootstrap-token-<token-id>, id and secret well formed, the token unexpired and its
 * usage-bootstrap-signing exactly "true".
 */
export function signingToken(secret: Secret, now: Date): SigningToken | undefined {
  if (!isBootstrapTokenSecret(secret) || secret.metadata.namespace !== 'kube-system') return undefined;
  const id = secretData(secret, 'token-id');
  const tokenSecret = secretData(secret, 'token-secret');
  if (!TOKEN_ID.test(id) || !TOKEN_SECRET.test(tokenSecret)) return undefined;
  if (secret.metadata.name !== `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`) return undefined;
  if (tokenExpiration(secret, now).kind === 'expired') return undefined;
  if (secretData(secret, 'usage-bootstrap-signing') !== 'true') return undefined;
  return { id, secret: tokenSecret };
}

/** Signs `content` for a token: `base64url(header)..base64url(signature)` (detached JWS). */
export type DetachedSigner = (content: string, tokenId: string, tokenSecret: string) => string;


export { detachedJWS } from '../../token/index.js';
