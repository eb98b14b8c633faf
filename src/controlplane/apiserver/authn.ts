/**
 * Authentication: x509 client certificates (verified against --client-ca-file by the TLS
 * layer; user = CN, groups = O), bootstrap tokens from kube-system Secrets, service-account
 * JWTs (through an injected verifier), and anonymous — only for health, /version and
 * kube-public/configmaps/cluster-info. Anything else without valid credentials is 401.
 */
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { isBootstrapGroup, isBootstrapTokenSecret, secretDataValue, splitBootstrapToken, tokenExpiration } from '../../token/index.js';
import type { KubeObject } from './storage.js';

export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

export interface AuthnOptions {
  anonymousAuth: boolean;
  enableBootstrapTokenAuth: boolean;
  /** Reads a Secret from storage (kube-system/bootstrap-token-<id>). */
  getSecret: (namespace: string, name: string) => Promise<KubeObject | undefined>;
  /** Verifies a service-account JWT; undefined when the token is not one it accepts. */
  verifyServiceAccountToken?: (token: string) => Promise<UserInfo | undefined>;
  now?: () => Date;
}

export interface AuthnRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  socket: TLSSocket;
}

const ANONYMOUS_PATHS = new Set(['/livez', '/readyz', '/healthz', '/version', '/version/']);
const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

/** Whether an anonymous request may reach authorization at all. */
export function anonymousAllowed(method: string, path: string): boolean {
  if (ANONYMOUS_PATHS.has(path) || /^\/(livez|readyz|healthz)\/[a-z0-9-]+$/.test(path)) return method === 'GET' || method === 'HEAD';
  return (method === 'GET' || method === 'HEAD') && path === CLUSTER_INFO_PATH;
}

function withAuthenticated(user: UserInfo): UserInfo {
  return user.groups.includes('system:authenticated') ? user : { ...user, groups: [...user.groups, 'system:authenticated'] };
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

const certificateUsers = new WeakMap<TLSSocket, UserInfo | null | 'invalid'>();

/**
 * The user of a verified client certificate, or null when none was sent, or 'invalid'.
 * Computed once per TLS connection: the peer certificate cannot change on a connection
 * (renegotiation is refused), and reading it is a measurable share of a keep-alive GET.
 */
export function certificateUser(socket: TLSSocket): UserInfo | null | 'invalid' {
  let user = certificateUsers.get(socket);
  if (user === undefined) {
    user = readCertificateUser(socket);
    certificateUsers.set(socket, user);
  }
  return user;
}

function readCertificateUser(socket: TLSSocket): UserInfo | null | 'invalid' {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return null;
  if (!socket.authorized) return 'invalid';
  // Several CNs: Go's crypto/x509 (upstream's authenticator) keeps the last one.
  const cn = asList(cert.subject?.CN).at(-1);
  if (!cn) return 'invalid';
  return { name: cn, groups: asList(cert.subject?.O) };
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Authenticates `<id>.<secret>` against Secret kube-system/bootstrap-token-<id>, as upstream's bootstrap authenticator. */
export async function bootstrapTokenUser(token: string, options: AuthnOptions): Promise<UserInfo | undefined> {
  const parts = splitBootstrapToken(token);
  if (!parts) return undefined;
  const { id, secret: secretPart } = parts;
  const secret = await options.getSecret('kube-system', `bootstrap-token-${id}`);
  const stored = secret as (KubeObject & { type?: string; data?: Record<string, string> }) | undefined;
  if (!stored || !isBootstrapTokenSecret(stored) || stored.metadata?.deletionTimestamp) return undefined;
  const value = (key: string) => secretDataValue(stored, key);
  if (!constantTimeEqual(value('token-secret'), secretPart)) return undefined;
  if (value('token-id') !== id) return undefined;
  if (tokenExpiration(value('expiration'), options.now?.() ?? new Date()).kind === 'expired') return undefined;
  if (value('usage-bootstrap-authentication') !== 'true') return undefined;
  const extra = value('auth-extra-groups').split(',').map((g) => g.trim()).filter((g) => g !== '');
  if (extra.some((g) => !isBootstrapGroup(g))) return undefined;
  return { name: `system:bootstrap:${id}`, groups: ['system:bootstrappers', ...extra] };
}

/** A bearer token's user (a bootstrap token, then a service-account JWT), or undefined. TokenReview asks the same. */
export async function tokenUser(token: string, options: AuthnOptions): Promise<UserInfo | undefined> {
  if (options.enableBootstrapTokenAuth) {
    const user = await bootstrapTokenUser(token, options);
    if (user) return withAuthenticated(user);
  }
  const saUser = await options.verifyServiceAccountToken?.(token);
  return saUser ? withAuthenticated(saUser) : undefined;
}

/** The request's user, or undefined for 401. */
export async function authenticate(request: AuthnRequest, options: AuthnOptions): Promise<UserInfo | undefined> {
  const fromCert = certificateUser(request.socket);
  if (fromCert === 'invalid') return undefined;
  if (fromCert) return withAuthenticated(fromCert);
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.authorization ?? '')?.[1];
  if (bearer) return tokenUser(bearer, options);
  if (request.authorization) return undefined;
  if (options.anonymousAuth && anonymousAllowed(request.method, request.path)) return ANONYMOUS;
  return undefined;
}
