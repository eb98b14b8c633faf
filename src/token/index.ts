/**
 * Bootstrap tokens (kubeadm / cluster-bootstrap): the token format (token.ts), the detached JWS
 * that signs cluster-info for joining nodes (jws.ts), and the Secret a token is stored as (secret.ts).
 */
export { generateBootstrapToken, parseBootstrapToken, redactToken, isBootstrapToken, BOOTSTRAP_TOKEN_PATTERN, type BootstrapTokenString } from './token.js';
export { detachedJWS, verifyDetachedJWS } from './jws.js';
export {
  bootstrapTokenSecret, bootstrapTokenExpiration, formatRFC3339, BOOTSTRAP_TOKEN_SECRET_TYPE, BOOTSTRAP_TOKEN_USAGES,
  type BootstrapTokenOptions, type BootstrapTokenSecret,
} from './secret.js';
