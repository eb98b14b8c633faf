/**
 * Reviews that are evaluated, not stored: SelfSubjectAccessReview (`kubectl auth can-i`),
 * SubjectAccessReview and SelfSubjectReview (`kubectl auth whoami`).
 */
import type { UserInfo } from './authn.js';
import type { Attributes, Decision } from './rbac.js';
import { apiErrors } from './status.js';
import type { KubeObject } from './storage.js';

type Authorize = (attrs: Attributes) => Decision;

interface ReviewSpec {
  resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string; subresource?: string; name?: string };
  nonResourceAttributes?: { path?: string; verb?: string };
  user?: string;
  groups?: string[];
}

function attributesFor(user: UserInfo, spec: ReviewSpec): Attributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user,
      verb: r.verb ?? '',
      isResourceRequest: true,
      apiGroup: r.group ?? '',
      resource: r.resource ?? '',
      subresource: r.subresource ?? '',
      name: r.name || undefined,
      namespace: r.namespace || undefined,
      path: '',
    };
  }
  const n = spec.nonResourceAttributes ?? {};
  return { user, verb: n.verb ?? '', isResourceRequest: false, apiGroup: '', resource: '', subresource: '', name: undefined, namespace: undefined, path: n.path ?? '' };
}

export function evaluateReview(kind: string, body: KubeObject, user: UserInfo, authorize: Authorize): KubeObject {
  const spec = (body.spec ?? {}) as ReviewSpec;
  if (kind === 'SelfSubjectReview') {
    return { kind, apiVersion: 'authentication.k8s.io/v1', metadata: {}, status: { userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) } } };
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) throw apiErrors.invalid(kind, 'authorization.k8s.io', '', [{ reason: 'FieldValueRequired', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified', field: 'spec' }]);
  const subject = kind === 'SubjectAccessReview' ? { name: spec.user ?? '', groups: spec.groups ?? [] } : user;
  const decision = authorize(attributesFor(subject, spec));
  return { kind, apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec, status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) } };
}
