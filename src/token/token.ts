/**
 * Bootstrap tokens: `[a-z0-9]{6}.[a-z0-9]{16}` (id.secret), generated, parsed and redacted, and
 * the extra-group and usage rules (cluster-bootstrap's token/api and token/util). The one place
 * that knows the token's shape: the API server's authenticator, the bootstrapsigner, the
 * tokencleaner, `token` and config validation all ask here.
 */
import { randomInt } from 'node:crypto';
import { validationError } from '../errors.js';

const ID = '[a-z0-9]{6}';
const SECRET = '[a-z0-9]{16}';
/** The format as people read it (kubeadm's messages quote it so). */
export const BOOTSTRAP_TOKEN_PATTERN = `${ID}.${SECRET}`;
export const BOOTSTRAP_TOKEN_ID_PATTERN = ID;
const TOKEN_RE = new RegExp(`^(${ID})\\.(${SECRET})$`);
const ID_RE = new RegExp(`^${ID}$`);
const SECRET_RE = new RegExp(`^${SECRET}$`);
/** cluster-bootstrap's BootstrapGroupPattern for auth-extra-groups. */
export const BOOTSTRAP_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
export const BOOTSTRAP_TOKEN_USAGES = ['signing', 'authentication'] as const;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export interface BootstrapTokenString {
  id: string;
  secret: string;
}

function randomChars(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** A new token from the CSPRNG (uniform over the 36 characters, as kubeadm's rejection sampling). */
export function generateBootstrapToken(): string {
  return `${randomChars(6)}.${randomChars(16)}`;
}

/** The id and secret of a well-formed token, else undefined (no trimming: a header or a Secret value is taken as is). */
export function splitBootstrapToken(token: string): BootstrapTokenString | undefined {
  const match = TOKEN_RE.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** Splits a token into id and secret; KF_TOKEN_INVALID (exit 3) names the format and never echoes the token. */
export function parseBootstrapToken(token: string): BootstrapTokenString {
  const parts = splitBootstrapToken(token.trim());
  if (!parts) {
    throw validationError('KF_TOKEN_INVALID', `the bootstrap token is not of the form "${BOOTSTRAP_TOKEN_PATTERN}"`, {
      hint: 'use a token such as abcdef.0123456789abcdef (6 and 16 characters of a-z and 0-9), or generate one with `kubeforge token generate`',
    });
  }
  return parts;
}

export const isBootstrapToken = (token: string): boolean => TOKEN_RE.test(token);
export const isBootstrapTokenId = (id: string): boolean => ID_RE.test(id);
export const isBootstrapTokenSecretValue = (secret: string): boolean => SECRET_RE.test(secret);
export const isBootstrapGroup = (group: string): boolean => BOOTSTRAP_GROUP_PATTERN.test(group);
export const isBootstrapTokenUsage = (usage: string): boolean => (BOOTSTRAP_TOKEN_USAGES as readonly string[]).includes(usage);

/** `abcdef.****************`: the id stays (it is public), the secret never shows. */
export function redactToken(token: string): string {
  const [id = '', ...rest] = token.split('.');
  return `${rest.length > 0 && isBootstrapTokenId(id) ? id : '******'}.****************`;
}
