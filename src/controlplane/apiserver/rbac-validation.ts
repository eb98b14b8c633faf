/**
 * RBAC object validation, as upstream's pkg/apis/rbac/validation: policy rules, roleRef and
 * subjects of bindings (422 with upstream's field messages), roleRef immutable on update, and
 * the shapes Go's decoder would refuse before validation (400: `subjects` that is not a list).
 * Pure: returns Status causes, or throws the 400.
 */
import { apiErrors, type StatusCause } from './status.js';
import type { KubeObject } from './storage.js';
import { nameErrors } from './validation.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const strings = (v: unknown) => (Array.isArray(v) ? v.map(str) : []);

const required = (field: string, detail = ''): StatusCause => ({ reason: 'FieldValueRequired', field, message: `Required value${detail ? `: ${detail}` : ''}` });
const invalid = (field: string, value: unknown, detail: string): StatusCause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });
const notSupported = (field: string, value: string, supported: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});

/** Field types Go's JSON decoder requires of an RBAC object; a mismatch is a 400 before validation. */
function checkDecodable(kind: string, object: KubeObject): void {
  const wrong = (field: string, value: unknown, goType: string) => {
    const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'object' ? 'object' : typeof value;
    return apiErrors.badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${got} into Go struct field ${kind}.${field} of type ${goType}`);
  };
  const listOfObjects = (field: string, goType: string) => {
    const value = object[field];
    if (value === undefined || value === null) return;
    if (!Array.isArray(value) || value.some((v) => !isObj(v))) throw wrong(field, Array.isArray(value) ? value.find((v) => !isObj(v)) : value, goType);
  };
  if (kind.endsWith('Binding')) {
    listOfObjects('subjects', '[]v1.Subject');
    if (object.roleRef !== undefined && !isObj(object.roleRef)) throw wrong('roleRef', object.roleRef, 'v1.RoleRef');
  } else listOfObjects('rules', '[]v1.PolicyRule');
}

function ruleCauses(rule: Obj, namespaced: boolean, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const [verbs, groups, resources, names, urls] = [rule.verbs, rule.apiGroups, rule.resources, rule.resourceNames, rule.nonResourceURLs].map(strings) as [string[], string[], string[], string[], string[]];
  if (verbs.length === 0) causes.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
  if (urls.length > 0) {
    if (namespaced) causes.push(invalid(`${at}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (groups.length > 0 || resources.length > 0 || names.length > 0) causes.push(invalid(`${at}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    return causes;
  }
  if (groups.length === 0) causes.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
  if (resources.length === 0) causes.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
  if (names.length > 0 && resources.length > 1) causes.push(required(`${at}.resourceNames`, 'resource names cannot apply to multiple resources'));
  return causes;
}

function subjectCauses(subject: Obj, namespaced: boolean, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = str(subject.name);
  const kind = str(subject.kind);
  const apiGroup = str(subject.apiGroup);
  if (!name) causes.push(required(`${at}.name`));
  switch (kind) {
    case 'ServiceAccount':
      if (name) for (const msg of nameErrors(name, 'subdomain')) causes.push(invalid(`${at}.name`, name, msg));
      if (apiGroup) causes.push(notSupported(`${at}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !str(subject.namespace)) causes.push(required(`${at}.namespace`));
      break;
    case 'User':
    case 'Group':
      // v1 defaulting fills an empty apiGroup of a User or Group subject with the RBAC group
      if (apiGroup && apiGroup !== RBAC_GROUP) causes.push(notSupported(`${at}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      causes.push(notSupported(`${at}.kind`, kind, ['ServiceAccount', 'User', 'Group']));
  }
  return causes;
}

function bindingCauses(object: KubeObject, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = isObj(object.roleRef) ? object.roleRef : {};
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (str(ref.apiGroup) !== RBAC_GROUP) causes.push(notSupported('roleRef.apiGroup', str(ref.apiGroup), [RBAC_GROUP]));
  if (!kinds.includes(str(ref.kind))) causes.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  const name = str(ref.name);
  if (!name) causes.push(required('roleRef.name'));
  if (name) for (const msg of nameErrors(name, 'path')) causes.push(invalid('roleRef.name', name, msg));
  ((object.subjects ?? []) as Obj[]).forEach((s, i) => causes.push(...subjectCauses(s, namespaced, `subjects[${i}]`)));
  return causes;
}

/** Validation causes of a Role, ClusterRole, RoleBinding or ClusterRoleBinding (none for other kinds). */
export function rbacCauses(kind: string, object: KubeObject): StatusCause[] {
  const namespaced = kind === 'Role' || kind === 'RoleBinding';
  if (!['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(kind)) return [];
  checkDecodable(kind, object);
  if (kind.endsWith('Binding')) return bindingCauses(object, namespaced);
  return ((object.rules ?? []) as Obj[]).flatMap((rule, i) => ruleCauses(rule, namespaced, `rules[${i}]`));
}

/** roleRef may not change once a binding exists. */
export function rbacUpdateCauses(kind: string, object: KubeObject, previous: KubeObject): StatusCause[] {
  if (!kind.endsWith('RoleBinding')) return [];
  const ref = (o: KubeObject) => (isObj(o.roleRef) ? o.roleRef : {});
  const [now, before] = [ref(object), ref(previous)];
  const same = ['apiGroup', 'kind', 'name'].every((k) => str(now[k]) === str(before[k]));
  if (same) return [];
  const goValue = `rbac.RoleRef{APIGroup:${JSON.stringify(str(now.apiGroup))}, Kind:${JSON.stringify(str(now.kind))}, Name:${JSON.stringify(str(now.name))}}`;
  return [{ reason: 'FieldValueInvalid', field: 'roleRef', message: `Invalid value: ${goValue}: cannot change roleRef` }];
}
