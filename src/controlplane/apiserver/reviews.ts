/**
 * Reviews that are evaluated, not stored: SelfSubjectAccessReview (`kubectl auth can-i`),
 * SubjectAccessReview, LocalSubjectAccessReview (a SubjectAccessReview within the URL's
 * namespace), SelfSubjectRulesReview (`kubectl auth can-i --list`), SelfSubjectReview
 * (`kubectl auth whoami`) and TokenReview (how the controller manager and scheduler authenticate
 * a bearer token sent to their own endpoints).
 */
import { tokenUser, type AuthnOptions, type UserInfo } from './authn.js';
import type { Attributes, Decision, PolicyRule } from './rbac.js';
import { apiErrors, type StatusCause } from './status.js';
import type { KubeObject } from './storage.js';

export interface ReviewAuthorizer {
  authorize(attrs: Attributes): Decision;
  rulesReview(user: UserInfo, namespace: string): { rules: PolicyRule[]; incomplete: boolean };
}

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

/** SelfSubjectRulesReview: the rules that apply to the caller in spec.namespace, split as upstream. */
function rulesReview(body: KubeObject, user: UserInfo, authorizer: ReviewAuthorizer): KubeObject {
  const namespace = (body.spec as { namespace?: string } | undefined)?.namespace ?? '';
  if (!namespace) throw apiErrors.badRequest('no namespace on request');
  const { rules, incomplete } = authorizer.rulesReview(user, namespace);
  const resourceRules = rules.filter((r) => !r.nonResourceURLs).map((r) => ({
    verbs: r.verbs,
    ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}),
    ...(r.resources ? { resources: r.resources } : {}),
    ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
  }));
  const nonResourceRules = rules.filter((r) => r.nonResourceURLs).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: {},
    spec: { namespace },
    status: { resourceRules, nonResourceRules, incomplete, ...(incomplete ? { evaluationError: 'node authorizer does not support user rule resolution' } : {}) },
  };
}

/** LocalSubjectAccessReview: upstream's ValidateLocalSubjectAccessReview and the URL's namespace. */
function checkLocalReview(body: KubeObject, spec: ReviewSpec, namespace: string): void {
  const metaNamespace = body.metadata?.namespace ?? namespace;
  if (metaNamespace !== namespace) throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  const causes: StatusCause[] = [];
  if (!spec.user && (spec.groups ?? []).length === 0) causes.push({ reason: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' });
  if (spec.resourceAttributes && (spec.resourceAttributes.namespace ?? '') !== namespace) {
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', message: `Invalid value: "${spec.resourceAttributes.namespace ?? ''}": must match metadata.namespace` });
  }
  if (spec.nonResourceAttributes) causes.push({ reason: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', message: 'Invalid value: "": disallowed on this kind of request' });
  if (causes.length > 0) throw apiErrors.invalid('LocalSubjectAccessReview', 'authorization.k8s.io', '', causes);
}

export function evaluateReview(kind: string, body: KubeObject, user: UserInfo, authorizer: ReviewAuthorizer, namespace?: string): KubeObject {
  const spec = (body.spec ?? {}) as ReviewSpec;
  if (kind === 'SelfSubjectRulesReview') return rulesReview(body, user, authorizer);
  if (kind === 'LocalSubjectAccessReview') checkLocalReview(body, spec, namespace ?? '');
  if (kind === 'SelfSubjectReview') {
    return { kind, apiVersion: 'authentication.k8s.io/v1', metadata: {}, status: { userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) } } };
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) throw apiErrors.invalid(kind, 'authorization.k8s.io', '', [{ reason: 'FieldValueRequired', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified', field: 'spec' }]);
  const subject = kind === 'SelfSubjectAccessReview' ? user : { name: spec.user ?? '', groups: spec.groups ?? [] };
  const decision = authorizer.authorize(attributesFor(subject, spec));
  return { kind, apiVersion: 'authorization.k8s.io/v1', metadata: namespace ? { namespace } : {}, spec, status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) } };
}

/**
 * TokenReview: the user the token authenticates as, by the same authenticators as a request's
 * bearer token. Audiences other than the API server's own are not supported: a review that names
 * any is answered unauthenticated (closed), never with a token meant for the API server.
 */
export async function reviewToken(body: KubeObject, authn: AuthnOptions): Promise<KubeObject> {
  const spec = (body.spec ?? {}) as { token?: string; audiences?: string[] };
  if (!spec.token) throw apiErrors.badRequest('token is required for TokenReview in authentication');
  const review = (status: Record<string, unknown>): KubeObject => ({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: {}, spec: { ...(spec.audiences ? { audiences: spec.audiences } : {}) }, status });
  if ((spec.audiences ?? []).length > 0) return review({ authenticated: false, error: 'token audiences other than the API server\'s are not supported: leave spec.audiences empty' });
  const user = await tokenUser(spec.token, authn);
  if (!user) return review({ user: {} });
  return review({ authenticated: true, user: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) } });
}
