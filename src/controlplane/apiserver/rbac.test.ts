import { describe, expect, it } from 'vitest';
import { authorizeRbac, isWellFormedBinding, isWellFormedRole, type Attributes, type RbacState } from './rbac.js';
import { strategicMerge } from './patch.js';

const state: RbacState = {
  clusterRoles: new Map([['reader', { metadata: { name: 'reader' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'] }] }]]),
  roles: new Map(),
  clusterRoleBindings: [],
  roleBindings: [{ metadata: { name: 'b', namespace: 'kube-public' }, roleRef: { kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'User', name: 'system:anonymous' }] }],
};
const attrs = (over: Partial<Attributes>): Attributes => ({
  user: { name: 'system:anonymous', groups: ['system:unauthenticated'] },
  verb: 'get', isResourceRequest: true, apiGroup: '', resource: 'configmaps', subresource: '', name: 'cluster-info', namespace: 'kube-public', path: '', ...over,
});

describe('RBAC evaluation', () => {
  it('grants a RoleBinding only in its own namespace and only for the named resource', () => {
    expect(authorizeRbac(state, attrs({})).allowed).toBe(true);
    expect(authorizeRbac(state, attrs({ namespace: 'default' })).allowed).toBe(false);
    expect(authorizeRbac(state, attrs({ name: 'other' })).allowed).toBe(false);
    expect(authorizeRbac(state, attrs({ verb: 'list', name: undefined })).allowed).toBe(false);
  });

  it('allows system:masters everything', () => {
    expect(authorizeRbac(state, attrs({ user: { name: 'x', groups: ['system:masters'] }, verb: 'delete', resource: 'secrets' })).allowed).toBe(true);
  });
});

describe('stored RBAC objects Go could not have decoded', () => {
  it.each([
    ['subjects that is a string', { metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: 'x' }],
    ['a subject that is not an object', { metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [7] }],
    ['no roleRef', { metadata: { name: 'b' }, subjects: [] }],
    ['no metadata', { roleRef: { kind: 'ClusterRole', name: 'view' } }],
  ])('skips a binding with %s', (_what, binding) => {
    expect(isWellFormedBinding(binding)).toBe(false);
  });

  it('skips a role whose verbs are a string (includes() would match substrings)', () => {
    expect(isWellFormedRole({ metadata: { name: 'r' }, rules: [{ verbs: 'get', apiGroups: [''], resources: ['pods'] }] })).toBe(false);
    expect(isWellFormedRole({ metadata: { name: 'r' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] })).toBe(true);
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name and drops kubectl directives', () => {
    const target = { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } };
    const patch = { spec: { "$setElementOrder/containers": [{ name: "a" }, { name: "b" }], containers: [{ name: 'b', image: 'b:2' }] } };
    expect(strategicMerge(target, patch)).toEqual({ spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] } });
  });
});
