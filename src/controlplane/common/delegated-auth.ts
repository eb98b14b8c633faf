/**
 * Delegated authentication and authorization of the controller manager's and scheduler's own
 * HTTPS endpoint, as upstream's DelegatingAuthenticator/DelegatingAuthorizer: the paths of
 * --authorization-always-allow-paths (health, by default) are open; for anything else
 * (/metrics, /debug/pprof) the caller is a client certificate verified against the client CA
 * (--client-ca-file, else the API server's kube-system/extension-apiserver-authentication), or
 * a bearer token the API server vouches for (TokenReview), or anonymous; and the API server
 * decides whether that user may `get` the path (SubjectAccessReview). Answers are cached for
 * 10 s, as upstream's, so a scraper costs the API server little.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { KubeObject } from '../../kube/index.js';
import type { ApiClient } from './controller.js';

export const DEFAULT_ALWAYS_ALLOW_PATHS = ['/healthz', '/readyz', '/livez'];
const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 1024;

interface User {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

const ANONYMOUS: User = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** A refusal to send instead of the endpoint's answer (upstream's Status body). */
export interface Refusal {
  status: 401 | 403;
  body: string;
}

export type EndpointAuthorizer = (req: IncomingMessage, path: string) => Promise<Refusal | undefined>;

/** Whether `path` is one of the always-allowed paths (a trailing `*` matches a prefix, as upstream). */
export function alwaysAllowed(paths: readonly string[], path: string): boolean {
  return paths.some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : p === path));
}

function status(code: 401 | 403, message: string): Refusal {
  const reason = code === 401 ? 'Unauthorized' : 'Forbidden';
  return { status: code, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }) };
}

/** The verified client certificate's user; null without one; 'invalid' for one the CA did not sign. */
function certificateUser(socket: TLSSocket): User | null | 'invalid' {
  const cert = socket.getPeerCertificate?.();
  if (!cert || Object.keys(cert).length === 0) return null;
  if (!socket.authorized) return 'invalid';
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const cn = list(cert.subject?.CN).at(-1);
  return cn ? { username: cn, groups: [...list(cert.subject?.O), 'system:authenticated'] } : 'invalid';
}

class TtlCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();

  async get(key: string, load: () => Promise<T>, now = Date.now()): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = await load();
    if (this.entries.size >= CACHE_MAX) this.entries.clear();
    this.entries.set(key, { value, expires: now + CACHE_TTL_MS });
    return value;
  }
}

export function delegatedAuthorizer(client: Pick<ApiClient, 'create'>, alwaysAllowPaths: readonly string[]): EndpointAuthorizer {
  const tokens = new TtlCache<User | undefined>();
  const decisions = new TtlCache<boolean>();
  const review = async (token: string) => {
    const result = await client.create<KubeObject & { status?: { authenticated?: boolean; user?: User } }>(
      { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews' },
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token } } as KubeObject,
    );
    const user = result.status?.authenticated ? result.status.user : undefined;
    return user ? { ...user, groups: user.groups ?? [] } : undefined;
  };
  const allowed = async (user: User, path: string) => {
    const result = await client.create<KubeObject & { status?: { allowed?: boolean } }>(
      { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews' },
      {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {},
        spec: { user: user.username, groups: user.groups, ...(user.uid ? { uid: user.uid } : {}), ...(user.extra ? { extra: user.extra } : {}), nonResourceAttributes: { path, verb: 'get' } },
      } as KubeObject,
    );
    return result.status?.allowed === true;
  };
  return async (req, path) => {
    if (alwaysAllowed(alwaysAllowPaths, path)) return undefined;
    let user = certificateUser(req.socket as TLSSocket);
    if (user === 'invalid') return status(401, 'Unauthorized');
    if (!user) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      if (bearer) {
        // A token the API server cannot check now is a 401 too: the caller retries.
        user = (await tokens.get(bearer, () => review(bearer)).catch(() => undefined)) ?? null;
        if (!user) return status(401, 'Unauthorized');
      } else if (req.headers.authorization) {
        return status(401, 'Unauthorized');
      } else {
        user = ANONYMOUS;
      }
    }
    const subject = user;
    const ok = await decisions.get(JSON.stringify([subject.username, subject.groups, path]), () => allowed(subject, path)).catch(() => false);
    return ok ? undefined : status(403, `forbidden: User "${subject.username}" cannot get path "${path}"`);
  };
}
