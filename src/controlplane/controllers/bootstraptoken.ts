/**
 * Bootstrap token Secrets as the bootstrapsigner and tokencleaner see them; src/token holds the
 * token format, the Secret decoding and the expiration rule they share with the API server's
 * authenticator and `token list`.
 */
import type { KubeObject } from '../../kube/index.js';
import { isBootstrapTokenSecret, readBootstrapTokenSecret, tokenExpiration } from '../../token/index.js';

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export interface SigningToken {
  id: string;
  secret: string;
}

/**
 * The token this Secret lets the bootstrapsigner sign with, or undefined (upstream's
 * validateSecretForSigning): a well-formed kube-system token Secret named after its id,
 * unexpired, with usage-bootstrap-signing exactly "true".
 */
export function signingToken(secret: Secret, now: Date): SigningToken | undefined {
  if (!isBootstrapTokenSecret(secret) || secret.metadata.namespace !== 'kube-system') return undefined;
  const token = readBootstrapTokenSecret(secret);
  if (typeof token === 'string' || tokenExpiration(token.expiration, now).kind === 'expired') return undefined;
  return token.usages.includes('signing') ? { id: token.id, secret: token.secret } : undefined;
}

/** Signs `content` for a token: `base64url(header)..base64url(signature)` (detached JWS). */
export type DetachedSigner = (content: string, tokenId: string, tokenSecret: string) => string;
