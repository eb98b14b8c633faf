/**
 * Impersonation (Impersonate-User, -Group, -Uid, -Extra-<key> headers), as upstream's
 * filters/impersonation.go: each thing asked for is authorized with the `impersonate` verb on
 * users, groups, serviceaccounts (for system:serviceaccount:<ns>:<name>), uids or
 * userextras/<key>, then the request runs as the impersonated user (system:authenticated
 * added unless a group says otherwise; a service account's groups when no group is given).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { UserInfo } from './authn.js';
import type { Attributes, Decision } from './rbac.js';
import { apiErrors } from './status.js';

const AUTHN_GROUP = 'authentication.k8s.io';
const EXTRA_PREFIX = 'impersonate-extra-';
const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

interface ImpersonationRequest {
  resource: 'users' | 'serviceaccounts' | 'groups' | 'uids' | 'userextras';
  apiGroup: string;
  name: string;
  namespace?: string;
  /** The extra key, for userextras. */
  subresource?: string;
}

/** Whether the request carries any impersonation header (the common case is no: one cheap scan). */
export function wantsImpersonation(headers: IncomingHttpHeaders): boolean {
  for (const name in headers) if (name.startsWith('impersonate-')) return true;
  return false;
}

function unescapeKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** What the headers ask to impersonate, in upstream's order (user, groups, extras, uid). */
export function impersonationRequests(headers: Readonly<Record<string, readonly string[] | undefined>>): ImpersonationRequest[] {
  const requests: ImpersonationRequest[] = [];
  const user = headers['impersonate-user']?.[0] ?? '';
  if (user) {
    const sa = SERVICE_ACCOUNT.exec(user);
    requests.push(sa ? { resource: 'serviceaccounts', apiGroup: '', namespace: sa[1] as string, name: sa[2] as string } : { resource: 'users', apiGroup: '', name: user });
  }
  for (const group of headers['impersonate-group'] ?? []) requests.push({ resource: 'groups', apiGroup: '', name: group });
  for (const [header, values] of Object.entries(headers)) {
    if (!header.startsWith(EXTRA_PREFIX)) continue;
    const key = unescapeKey(header.slice(EXTRA_PREFIX.length).toLowerCase());
    for (const value of values ?? []) requests.push({ resource: 'userextras', apiGroup: AUTHN_GROUP, name: value, subresource: key });
  }
  const uid = headers['impersonate-uid']?.[0] ?? '';
  if (uid) requests.push({ resource: 'uids', apiGroup: AUTHN_GROUP, name: uid });
  if (!user && requests.length > 0) {
    throw apiErrors.internal(`requested ${JSON.stringify(requests.map((r) => `${r.resource}/${r.name}`))} without impersonating a user`);
  }
  return requests;
}

/** The user the request runs as: `requestor` when nothing is impersonated; 403 for what it may not impersonate. */
export function impersonatedUser(requestor: UserInfo, headers: Readonly<Record<string, readonly string[] | undefined>>, authorize: (attrs: Attributes) => Decision): UserInfo {
  const requests = impersonationRequests(headers);
  if (requests.length === 0) return requestor;
  const groupsSpecified = (headers['impersonate-group'] ?? []).length > 0;
  let name = '';
  let uid: string | undefined;
  let groups: string[] = [];
  const extra: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const r of requests) {
    const attrs: Attributes = { user: requestor, verb: 'impersonate', isResourceRequest: true, apiGroup: r.apiGroup, resource: r.resource, subresource: r.subresource ?? '', name: r.name, namespace: r.namespace, path: '' };
    const decision = authorize(attrs);
    if (!decision.allowed) throw apiErrors.forbidden(requestor.name, 'impersonate', r.subresource ? `${r.resource}/${r.subresource}` : r.resource, r.apiGroup, r.name, r.namespace, decision.reason);
    if (r.resource === 'users') name = r.name;
    if (r.resource === 'serviceaccounts') {
      name = `system:serviceaccount:${r.namespace}:${r.name}`;
      if (!groupsSpecified) groups = ['system:serviceaccounts', `system:serviceaccounts:${r.namespace}`];
    }
    if (r.resource === 'groups') groups.push(r.name);
    if (r.resource === 'uids') uid = r.name;
    if (r.resource === 'userextras') (extra[r.subresource as string] ??= []).push(r.name);
  }
  if (name !== 'system:anonymous') {
    if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) groups.push('system:authenticated');
  } else if (!groups.includes('system:unauthenticated')) groups.push('system:unauthenticated');
  return { name, groups, ...(uid !== undefined ? { uid } : {}), ...(Object.keys(extra).length > 0 ? { extra } : {}) };
}
