/**
 * The detached JWS kubeadm's bootstrap signer puts next to cluster-info (cluster-bootstrap's
 * ComputeDetachedSignature): header `{"alg":"HS256","kid":"<id>"}`, HMAC-SHA256 keyed by the
 * token secret over `b64url(header).b64url(content)`, serialized as `header..signature`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export function detachedJWS(content: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const signature = createHmac('sha256', tokenSecret).update(`${header}.${b64url(content)}`).digest();
  return `${header}..${b64url(signature)}`;
}

/** Recomputes the JWS for this token and compares in constant time. */
export function verifyDetachedJWS(content: string, jws: string, tokenId: string, tokenSecret: string): boolean {
  const expected = Buffer.from(detachedJWS(content, tokenId, tokenSecret));
  const given = Buffer.from(jws);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
