import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { grantClaims, keyId, publicKeysFromPem, serviceAccountUser, signToken, verifySignature, type BoundObject, type TokenGrant } from './satoken.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const NOW = 1_750_000_000;

const SA_UID = '11111111-1111-1111-1111-111111111111';
const POD_UID = '22222222-2222-2222-2222-222222222222';
const grant = (extra: Partial<TokenGrant> = {}): TokenGrant => ({
  issuer: ISSUER,
  audiences: [ISSUER],
  expirationSeconds: 3600,
  namespace: 'default',
  serviceAccount: { name: 'builder', uid: SA_UID },
  nowSeconds: NOW,
  ...extra,
});

function options(objects: Record<string, BoundObject> = { 'ServiceAccount/default/builder': { uid: SA_UID } }, keys: KeyObject[] = [rsa.publicKey, ec.publicKey]) {
  return {
    keys,
    issuers: [ISSUER],
    audiences: [ISSUER],
    now: () => (NOW + 10) * 1000,
    lookup: async (kind: string, namespace: string | undefined, name: string) => objects[`${kind}/${namespace ?? ''}/${name}`],
  };
}

describe('service-account tokens', () => {
  it('authenticates an RS256 token as system:serviceaccount:<ns>:<name> with the service-account groups', async () => {
    const token = signToken(grantClaims(grant()), rsa.privateKey);
    const user = await serviceAccountUser(token, options());
    expect(user).toMatchObject({ name: 'system:serviceaccount:default:builder', uid: SA_UID, groups: ['system:serviceaccounts', 'system:serviceaccounts:default'] });
    expect(user?.extra?.['authentication.kubernetes.io/credential-id']?.[0]).toMatch(/^JTI=[0-9a-f-]{36}$/);
  });

  it('authenticates an ES256 token and names the key with upstream key id', async () => {
    const token = signToken(grantClaims(grant()), ec.privateKey);
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', kid: keyId(ec.publicKey) });
    expect(await serviceAccountUser(token, options())).toBeDefined();
  });

  it('rejects a token signed by a key the server does not know', async () => {
    const token = signToken(grantClaims(grant()), other.privateKey);
    expect(await serviceAccountUser(token, options())).toBeUndefined();
  });

  it('rejects a token whose claims were altered after signing', async () => {
    const [h, , s] = signToken(grantClaims(grant()), rsa.privateKey).split('.');
    const forged = Buffer.from(JSON.stringify({ ...grantClaims(grant()), sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url');
    expect(await serviceAccountUser(`${h}.${forged}.${s}`, options())).toBeUndefined();
  });

  it('rejects alg "none" and malformed tokens', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(grantClaims(grant()))).toString('base64url')}.`;
    for (const token of [none, 'a.b', 'not-a-jwt', '..']) expect(verifySignature(token, [rsa.publicKey]), token).toBeUndefined();
  });

  it('rejects an expired token, another issuer and another audience', async () => {
    const expired = signToken(grantClaims(grant({ nowSeconds: NOW - 7200 })), rsa.privateKey);
    const issuer = signToken(grantClaims(grant({ issuer: 'https://elsewhere' })), rsa.privateKey);
    const audience = signToken(grantClaims(grant({ audiences: ['vault'] })), rsa.privateKey);
    for (const token of [expired, issuer, audience]) expect(await serviceAccountUser(token, options())).toBeUndefined();
  });

  it('rejects a token whose ServiceAccount was deleted or recreated with another uid', async () => {
    const token = signToken(grantClaims(grant()), rsa.privateKey);
    expect(await serviceAccountUser(token, options({}))).toBeUndefined();
    expect(await serviceAccountUser(token, options({ 'ServiceAccount/default/builder': { uid: 'recreated' } }))).toBeUndefined();
  });

  it('binds a token to a pod: valid while the pod lives, with pod-name and pod-uid extras', async () => {
    const token = signToken(grantClaims(grant({ bound: { kind: 'Pod', ref: { name: 'web-0', uid: POD_UID } } })), rsa.privateKey);
    const objects = { 'ServiceAccount/default/builder': { uid: SA_UID }, 'Pod/default/web-0': { uid: POD_UID } };
    expect((await serviceAccountUser(token, options(objects)))?.extra).toMatchObject({ 'authentication.kubernetes.io/pod-name': ['web-0'], 'authentication.kubernetes.io/pod-uid': [POD_UID] });
    expect(await serviceAccountUser(token, options({ 'ServiceAccount/default/builder': { uid: SA_UID } }))).toBeUndefined();
    const terminatingLongAgo = { ...objects, 'Pod/default/web-0': { uid: POD_UID, deletionTimestamp: new Date((NOW - 120) * 1000).toISOString() } };
    expect(await serviceAccountUser(token, options(terminatingLongAgo))).toBeUndefined();
  });

  it('reads public keys from public-key, private-key and certificate PEM blocks in one file', () => {
    const pem = [rsa.publicKey.export({ type: 'spki', format: 'pem' }), ec.privateKey.export({ type: 'pkcs8', format: 'pem' })].join('\n');
    const keys = publicKeysFromPem(String(pem));
    expect(keys.map((k) => k.asymmetricKeyType)).toEqual(['rsa', 'ec']);
    expect(keys.every((k) => k.type === 'public')).toBe(true);
  });
});
