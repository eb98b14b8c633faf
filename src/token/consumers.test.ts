/**
 * One answer for a token Secret's `expiration`, whoever asks: the API server's authenticator,
 * the bootstrapsigner, the tokencleaner and `token list` all read it with src/token's RFC 3339
 * rule (Go's time.Parse(time.RFC3339)). Before, the authenticator took anything Date.parse
 * reads, so it trusted tokens the cleaner deleted as unparseable.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapTokenFromSecret } from '../commands/token-view.js';
import { bootstrapTokenUser } from '../controlplane/apiserver/authn.js';
import type { KubeObject } from '../controlplane/apiserver/storage.js';
import { signingToken } from '../controlplane/controllers/bootstraptoken.js';
import { tokenCleanerDecision } from '../controlplane/controllers/tokencleaner.js';
import { bootstrapTokenSecret, parseRFC3339 } from './index.js';

const now = new Date('2026-06-01T00:00:00Z');
const TOKEN = 'abcdef.0123456789abcdef';

/** [expiration, whether it names a time after `now`] */
const CASES: Array<[string, boolean]> = [
  ['2030-01-01T00:00:00Z', true],
  ['2030-01-01T00:00:00.123456789+02:00', true],
  ['2026-06-01T00:30:00+00:30', false],
  ['2026-06-01T01:00:00+00:30', true],
  ['2026-05-31T23:59:59Z', false],
  ['2030-01-01', false],
  ['2030-01-01T00:00:00', false],
  ['Tue, 01 Jan 2030 00:00:00 GMT', false],
  ['2030-02-30T00:00:00Z', false],
  ['2030-01-01t00:00:00z', false],
  ['2030-01-01 00:00:00Z', false],
  ['2030-01-01T24:00:00Z', false],
  ['2030-01-01T00:00:60Z', false],
  ['2030-01-01T00:00:00+24:00', false],
  [' 2030-01-01T00:00:00Z', false],
  ['tomorrow', false],
];

function secretWith(expiration: string): KubeObject & { metadata: { name: string; namespace: string }; type: string; data: Record<string, string> } {
  const secret = bootstrapTokenSecret(TOKEN, { usages: ['signing', 'authentication'], groups: ['system:bootstrappers:kubeadm:default-node-token'] }, now);
  return { ...secret, data: { ...secret.data, expiration: Buffer.from(expiration).toString('base64') } };
}

async function answers(expiration: string) {
  const secret = secretWith(expiration);
  const listed = bootstrapTokenFromSecret(secret);
  return {
    authenticator: (await bootstrapTokenUser(TOKEN, { anonymousAuth: false, enableBootstrapTokenAuth: true, getSecret: async () => secret, now: () => now })) !== undefined,
    bootstrapsigner: signingToken(secret, now) !== undefined,
    tokencleaner: tokenCleanerDecision(secret, now).action !== 'delete',
    tokenList: typeof listed !== 'string' && listed.expires !== undefined && Date.parse(listed.expires) > now.getTime(),
  };
}

describe('bootstrap token expiration: one rule for every consumer', () => {
  for (const [expiration, live] of CASES) {
    it(`${live ? 'trusts and keeps' : 'neither trusts nor keeps'} a token expiring ${JSON.stringify(expiration)}`, async () => {
      expect(await answers(expiration)).toEqual({ authenticator: live, bootstrapsigner: live, tokencleaner: live, tokenList: live });
    });
  }

  it('has token list name an unparseable expiration instead of showing the token', () => {
    expect(bootstrapTokenFromSecret(secretWith('2030-01-01'))).toBe('can\'t parse expiration time of bootstrap token "bootstrap-token-abcdef"');
  });

  it('reads RFC 3339 offsets and fractions to the millisecond, and keeps years below 100', () => {
    expect(parseRFC3339('2030-01-01T00:00:00.123456789+02:00')).toEqual(new Date('2029-12-31T22:00:00.123Z'));
    expect(parseRFC3339('2030-01-01T00:00:00-00:30')).toEqual(new Date('2030-01-01T00:30:00Z'));
    expect(parseRFC3339('0099-03-01T00:00:00Z')?.getUTCFullYear()).toBe(99);
    expect(parseRFC3339('2028-02-29T00:00:00Z')).toEqual(new Date('2028-02-29T00:00:00Z'));
    expect(parseRFC3339('2027-02-29T00:00:00Z')).toBeUndefined();
  });
});
