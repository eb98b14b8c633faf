import { describe, expect, it } from 'vitest';
import { impersonatedUser, wantsImpersonation } from './impersonation.js';
import type { Attributes } from './rbac.js';

const bob = { name: 'bob', groups: ['system:authenticated'] };
const allowAll = () => ({ allowed: true, reason: '' });

describe('impersonation', () => {
  it('notices only impersonate-* headers', () => {
    expect(wantsImpersonation({ accept: 'application/json' })).toBe(false);
    expect(wantsImpersonation({ 'impersonate-extra-scopes': 'x' })).toBe(true);
  });

  it('asks for impersonate on users, groups, uids and userextras/<key>, in that order of headers', () => {
    const asked: Attributes[] = [];
    const user = impersonatedUser(bob, { 'impersonate-user': ['nobody'], 'impersonate-group': ['a', 'b'], 'impersonate-uid': ['u1'], 'impersonate-extra-acme.com%2fproject': ['p1', 'p2'] }, (a) => {
      asked.push(a);
      return { allowed: true, reason: '' };
    });
    expect(asked.map((a) => `${a.apiGroup}/${a.resource}${a.subresource ? `/${a.subresource}` : ''}:${a.name}`)).toEqual([
      '/users:nobody',
      '/groups:a',
      '/groups:b',
      'authentication.k8s.io/userextras/acme.com/project:p1',
      'authentication.k8s.io/userextras/acme.com/project:p2',
      'authentication.k8s.io/uids:u1',
    ]);
    expect(user).toEqual({ name: 'nobody', uid: 'u1', groups: ['a', 'b', 'system:authenticated'], extra: { 'acme.com/project': ['p1', 'p2'] } });
  });

  it("gives a service account its groups, authorized on serviceaccounts in its namespace", () => {
    let asked: Attributes | undefined;
    const user = impersonatedUser(bob, { 'impersonate-user': ['system:serviceaccount:ns1:robot'] }, (a) => ((asked = a), { allowed: true, reason: '' }));
    expect(asked).toMatchObject({ resource: 'serviceaccounts', namespace: 'ns1', name: 'robot' });
    expect(user.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated']);
  });

  it('answers 403 with upstream\'s message for what may not be impersonated, and 500 for groups without a user', () => {
    expect(() => impersonatedUser(bob, { 'impersonate-user': ['admin'] }, () => ({ allowed: false, reason: '' }))).toThrow(
      'users "admin" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    expect(() => impersonatedUser(bob, { 'impersonate-group': ['system:masters'] }, allowAll)).toThrow(/without impersonating a user/);
  });

  it('keeps system:unauthenticated when it is asked for, and adds it to system:anonymous', () => {
    expect(impersonatedUser(bob, { 'impersonate-user': ['x'], 'impersonate-group': ['system:unauthenticated'] }, allowAll).groups).toEqual(['system:unauthenticated']);
    expect(impersonatedUser(bob, { 'impersonate-user': ['system:anonymous'] }, allowAll).groups).toEqual(['system:unauthenticated']);
  });
});
