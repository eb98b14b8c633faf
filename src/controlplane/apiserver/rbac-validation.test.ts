import { describe, expect, it } from 'vitest';
import { rbacCauses, rbacUpdateCauses } from './rbac-validation.js';

const binding = (over: Record<string, unknown>) => ({
  metadata: { name: 'b', namespace: 'ns' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
  subjects: [{ kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }],
  ...over,
});
const messages = (kind: string, object: Record<string, unknown>) => rbacCauses(kind, object).map((c) => `${c.field}: ${c.message}`);

describe('RBAC object validation', () => {
  it('accepts a well-formed binding (User apiGroup may be left to defaulting)', () => {
    expect(messages('RoleBinding', binding({ subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 'sa' }] }))).toEqual([]);
  });

  it('refuses a subjects field that is not a list of objects as Go decoding does (400)', () => {
    expect(() => rbacCauses('RoleBinding', binding({ subjects: 'x' }))).toThrow('json: cannot unmarshal string into Go struct field RoleBinding.subjects of type []v1.Subject');
    expect(() => rbacCauses('ClusterRole', { metadata: { name: 'r' }, rules: ['x'] })).toThrow(/cannot unmarshal string/);
  });

  it('reports bad subjects and roleRef with upstream field messages', () => {
    expect(messages('ClusterRoleBinding', binding({ roleRef: { apiGroup: 'x', kind: 'Role', name: '' }, subjects: [{ kind: 'Robot', name: '' }, { kind: 'ServiceAccount', name: 'sa' }] }))).toEqual([
      'roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'roleRef.name: Required value',
      'subjects[0].name: Required value',
      'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[1].namespace: Required value',
    ]);
  });

  it('reports rules without verbs, groups or resources, and URLs in namespaced roles', () => {
    expect(messages('Role', { metadata: { name: 'r' }, rules: [{ verbs: [] }, { verbs: ['get'], nonResourceURLs: ['/x'] }] })).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
      'rules[1].nonResourceURLs: Invalid value: ["/x"]: namespaced rules cannot apply to non-resource URLs',
    ]);
  });

  it('refuses a change of roleRef on update', () => {
    const before = binding({});
    expect(rbacUpdateCauses('RoleBinding', binding({}), before)).toEqual([]);
    const changed = binding({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' } });
    expect(rbacUpdateCauses('RoleBinding', changed, before).map((c) => c.message)).toEqual([
      'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"admin"}: cannot change roleRef',
    ]);
  });
});
