/**
 * Service-account tokens, as upstream's bound tokens: JWTs signed RS256/ES256 with
 * --service-account-signing-key-file, verified with the public keys of
 * --service-account-key-file, issuer and audience checked, and the ServiceAccount (and the
 * Pod, Secret or Node the token is bound to) still present with the same uid. Signing and
 * verification are pure over Node's crypto; object lookups are injected.
 */
import { createHash, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { UserInfo } from './authn.js';

export interface BoundRef {
  name: string;
  uid: string;
}

/** The private claims upstream puts under "kubernetes.io". */
export interface KubernetesClaims {
  namespace: string;
  serviceaccount: BoundRef;
  pod?: BoundRef;
  secret?: BoundRef;
  node?: BoundRef;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': KubernetesClaims;
}

type Algorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512';
const HASH: Record<Algorithm, string> = { RS256: 'sha256', ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
const CURVE_ALG: Record<string, Algorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** The JWS algorithm a key signs with, as upstream picks it from the key type. */
export function algorithmOf(key: KeyObject): Algorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') return CURVE_ALG[String(key.asymmetricKeyDetails?.namedCurve)];
  return undefined;
}

/** Upstream's key id: base64url(sha256(DER SubjectPublicKeyInfo)). */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return b64url(createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest());
}

/** Every public key in a PEM file (public keys, private keys and certificates all count). */
export function publicKeysFromPem(pem: string): KeyObject[] {
  const blocks = pem.match(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g) ?? [];
  return blocks.map((block) => createPublicKey(block)).filter((key) => algorithmOf(key) !== undefined);
}

export function signToken(claims: TokenClaims, privateKey: KeyObject): string {
  const alg = algorithmOf(privateKey);
  if (!alg) throw new Error(`unsupported service-account signing key type ${String(privateKey.asymmetricKeyType)}`);
  const input = `${b64url(JSON.stringify({ alg, kid: keyId(privateKey) }))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign(HASH[alg], Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

/** The claims of a JWT whose signature one of `keys` verifies; undefined for anything else. */
export function verifySignature(token: string, keys: readonly KeyObject[]): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header64, payload64, signature64] = parts as [string, string, string];
  let header: { alg?: string; kid?: string };
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(header64, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
    claims = JSON.parse(Buffer.from(payload64, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
  const alg = header.alg as Algorithm;
  if (!Object.hasOwn(HASH, alg)) return undefined;
  const input = Buffer.from(`${header64}.${payload64}`);
  const signature = Buffer.from(signature64, 'base64url');
  const candidates = keys.filter((k) => algorithmOf(k) === alg && (header.kid === undefined || header.kid === '' || keyId(k) === header.kid));
  const ok = candidates.some((key) => {
    try {
      return verify(HASH[alg], input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  });
  return ok ? (claims as Record<string, unknown>) : undefined;
}

export interface BoundObject {
  uid: string;
  deletionTimestamp?: string | undefined;
}

export interface ServiceAccountAuthOptions {
  keys: readonly KeyObject[];
  /** Accepted issuers (--service-account-issuer); the first one signs new tokens. */
  issuers: readonly string[];
  /** --api-audiences, defaulting to the issuers. */
  audiences: readonly string[];
  /** Reads a bound object (ServiceAccount, Pod, Secret, Node); undefined when it does not exist. */
  lookup: (kind: 'ServiceAccount' | 'Pod' | 'Secret' | 'Node', namespace: string | undefined, name: string) => Promise<BoundObject | undefined>;
  now?: () => number;
}

const isRef = (v: unknown): v is BoundRef => !!v && typeof v === 'object' && typeof (v as BoundRef).name === 'string' && typeof (v as BoundRef).uid === 'string';

/** Claims shaped like a bound service-account token, or undefined. */
function kubernetesClaims(claims: Record<string, unknown>): KubernetesClaims | undefined {
  const k8s = claims['kubernetes.io'] as Partial<KubernetesClaims> | undefined;
  if (!k8s || typeof k8s.namespace !== 'string' || !isRef(k8s.serviceaccount)) return undefined;
  for (const bound of [k8s.pod, k8s.secret, k8s.node]) if (bound !== undefined && !isRef(bound)) return undefined;
  return k8s as KubernetesClaims;
}

const DELETED_GRACE_SECONDS = 60;
/** go-jose's default leeway for nbf, as upstream's validator. */
const NBF_LEEWAY_SECONDS = 60;

/** Authenticates a bound service-account token; undefined (→ 401) for any failure. */
export async function serviceAccountUser(token: string, options: ServiceAccountAuthOptions): Promise<UserInfo | undefined> {
  const claims = verifySignature(token, options.keys);
  if (!claims || !options.issuers.includes(String(claims.iss))) return undefined;
  const now = Math.floor((options.now?.() ?? Date.now()) / 1000);
  const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : typeof claims.aud === 'string' ? [claims.aud] : [];
  if (!aud.some((a) => options.audiences.includes(a))) return undefined;
  if (typeof claims.exp !== 'number' || now >= claims.exp) return undefined;
  if (typeof claims.nbf === 'number' && now < claims.nbf - NBF_LEEWAY_SECONDS) return undefined;
  const k8s = kubernetesClaims(claims);
  if (!k8s || claims.sub !== `system:serviceaccount:${k8s.namespace}:${k8s.serviceaccount.name}`) return undefined;
  const alive = async (kind: 'ServiceAccount' | 'Pod' | 'Secret' | 'Node', ref: BoundRef | undefined, namespaced: boolean): Promise<boolean> => {
    if (!ref) return true;
    const object = await options.lookup(kind, namespaced ? k8s.namespace : undefined, ref.name);
    if (!object || object.uid !== ref.uid) return false;
    if (!object.deletionTimestamp) return true;
    // Upstream keeps a token valid for a minute after its object starts terminating.
    return Date.parse(object.deletionTimestamp) / 1000 + DELETED_GRACE_SECONDS > now;
  };
  const checks = await Promise.all([
    alive('ServiceAccount', k8s.serviceaccount, true),
    alive('Pod', k8s.pod, true),
    alive('Secret', k8s.secret, true),
    alive('Node', k8s.node, false),
  ]);
  if (checks.includes(false)) return undefined;
  const extra: Record<string, string[]> = {};
  if (typeof claims.jti === 'string' && claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
  if (k8s.pod) Object.assign(extra, { 'authentication.kubernetes.io/pod-name': [k8s.pod.name], 'authentication.kubernetes.io/pod-uid': [k8s.pod.uid] });
  if (k8s.node) Object.assign(extra, { 'authentication.kubernetes.io/node-name': [k8s.node.name], 'authentication.kubernetes.io/node-uid': [k8s.node.uid] });
  return {
    name: `system:serviceaccount:${k8s.namespace}:${k8s.serviceaccount.name}`,
    uid: k8s.serviceaccount.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${k8s.namespace}`],
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

export interface TokenGrant {
  issuer: string;
  audiences: string[];
  expirationSeconds: number;
  namespace: string;
  serviceAccount: BoundRef;
  bound?: { kind: 'Pod' | 'Secret' | 'Node'; ref: BoundRef };
  nowSeconds: number;
}

/** The claims of a new bound token. */
export function grantClaims(grant: TokenGrant): TokenClaims {
  const k8s: KubernetesClaims = { namespace: grant.namespace, serviceaccount: grant.serviceAccount };
  if (grant.bound) k8s[grant.bound.kind.toLowerCase() as 'pod' | 'secret' | 'node'] = grant.bound.ref;
  return {
    aud: grant.audiences,
    exp: grant.nowSeconds + grant.expirationSeconds,
    iat: grant.nowSeconds,
    iss: grant.issuer,
    jti: randomUUID(),
    'kubernetes.io': k8s,
    nbf: grant.nowSeconds,
    sub: `system:serviceaccount:${grant.namespace}:${grant.serviceAccount.name}`,
  };
}
