/** Bootstrap tokens: `[a-z0-9]{6}.[a-z0-9]{16}` (id.secret), generated, parsed and redacted. */
import { randomInt } from 'node:crypto';
import { validationError } from '../errors.js';

export const BOOTSTRAP_TOKEN_PATTERN = '[a-z0-9]{6}.[a-z0-9]{16}';
const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
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

/** Splits a token into id and secret; KF_TOKEN_INVALID (exit 3) names the format and never echoes the token. */
export function parseBootstrapToken(token: string): BootstrapTokenString {
  const match = TOKEN_RE.exec(token.trim());
  if (!match) {
    throw validationError('KF_TOKEN_INVALID', `the bootstrap token is not of the form "${BOOTSTRAP_TOKEN_PATTERN}"`, {
      hint: 'use a token such as abcdef.0123456789abcdef (6 and 16 characters of a-z and 0-9), or generate one with `kubeforge token generate`',
    });
  }
  return { id: match[1]!, secret: match[2]! };
}

export function isBootstrapToken(token: string): boolean {
  return TOKEN_RE.test(token);
}

/** `abcdef.****************`: the id stays (it is public), the secret never shows. */
export function redactToken(token: string): string {
  const id = /^([a-z0-9]{6})\./.exec(token)?.[1] ?? '******';
  return `${id}.****************`;
}
