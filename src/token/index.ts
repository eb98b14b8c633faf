/**
 * Bootstrap tokens (kubeadm / cluster-bootstrap), the one module that knows them: the token
 * format, groups and usages (token.ts), the expiration rule (expiration.ts: RFC 3339), the
 * detached JWS that signs cluster-info for joining nodes (jws.ts), and the Secret a token is
 * stored as, built and read back (secret.ts).
 */
export {
  generateBootstrapToken, parseBootstrapToken, splitBootstrapToken, redactToken, isBootstrapToken, isBootstrapTokenId, isBootstrapGroup, isBootstrapTokenUsage,
  BOOTSTRAP_TOKEN_PATTERN, BOOTSTRAP_TOKEN_ID_PATTERN, BOOTSTRAP_GROUP_PATTERN, BOOTSTRAP_TOKEN_USAGES, type BootstrapTokenString,
} from './token.js';
export { formatRFC3339, parseRFC3339, tokenExpiration, type TokenExpiration } from './expiration.js';
export { detachedJWS, verifyDetachedJWS } from './jws.js';
export {
  bootstrapTokenSecret, readBootstrapTokenSecret, secretDataValue, isBootstrapTokenSecret,
  BOOTSTRAP_TOKEN_SECRET_TYPE, BOOTSTRAP_TOKEN_SECRET_PREFIX,
  type BootstrapTokenOptions, type BootstrapTokenSecret, type SecretObject, type StoredBootstrapToken,
} from './secret.js';
