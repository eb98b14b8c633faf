import { describe, expect, it } from 'vitest';
import { authorizeRbac, type Attributes, type RbacState } from './rbac.js';
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

describe('strategic merge patch', () => {
  it('merges containers by name and drops kubectl directives', () => {
    const target = { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } };
    const patch = { spec: { "$setElementOrder/containers": [{ name: "a" }, { name: "b" }], containers: [{ name: 'b', image: 'b:2' }] } };
    expect(strategicMerge(target, patch)).toEqual({ spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] } });
  });
});
