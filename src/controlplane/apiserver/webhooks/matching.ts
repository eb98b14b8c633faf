/**
 * Which requests a webhook or a ValidatingAdmissionPolicy sees, as upstream's
 * admission/plugin/webhook/predicates (rules, namespace and object selectors) and
 * policy/matching (resourceRules, excludeResourceRules, resourceNames). A rule matches on
 * operation, group, version, resource (`*`, `pods/*`, `*\/status`) and scope; with matchPolicy
 * Equivalent a rule naming another served version of the same resource matches too, and the
 * webhook is then sent the object in that version. Pure.
 */
import type { AdmissionAttributes } from '../admission/types.js';
import { parseLabelSelector } from '../selectors.js';
import { RESOURCES, type ResourceType } from '../resources.js';
import type { KubeObject } from '../storage.js';
import { selectorString } from '../subresources.js';
import { apiErrors } from '../status.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The request as the matchers read it. */
export interface MatchRequest {
  readonly type: ResourceType;
  readonly subresource: string;
  readonly operation: string;
  /** Upstream's attr.GetNamespace(): a namespace's own name for requests on /namespaces/<name>. */
  readonly namespace: string;
  readonly name: string;
  readonly object?: KubeObject | undefined;
  readonly oldObject?: KubeObject | undefined;
}

const isNamespaceKind = (type: ResourceType) => type.group === '' && type.plural === 'namespaces';

export function matchRequest(attrs: AdmissionAttributes): MatchRequest {
  const namespace = attrs.namespace ?? (isNamespaceKind(attrs.type) && attrs.operation !== 'CREATE' ? attrs.name : '');
  return { type: attrs.type, subresource: attrs.subresource, operation: attrs.operation, namespace, name: attrs.name, object: attrs.object, oldObject: attrs.oldObject };
}

const exactOrWildcard = (items: string[], requested: string) => items.some((i) => i === '*' || i === requested);

function scopeMatches(scope: unknown, req: MatchRequest): boolean {
  if (scope === undefined || scope === '*') return true;
  if (scope === 'Namespaced') return !isNamespaceKind(req.type) && req.namespace !== '';
  if (scope === 'Cluster') return isNamespaceKind(req.type) || req.namespace === '';
  return false;
}

function resourceMatches(resources: string[], type: ResourceType, subresource: string): boolean {
  return resources.some((entry) => {
    const at = entry.indexOf('/');
    const [res, sub] = at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
    return (res === '*' || res === type.plural) && (sub === '*' || sub === subresource);
  });
}

/** A RuleWithOperations (or a policy's NamedRuleWithOperations) against the request, read as `type`. */
export function ruleMatches(rule: unknown, req: MatchRequest, type: ResourceType = req.type): boolean {
  const r = obj(rule);
  const names = strings(r.resourceNames);
  return (
    scopeMatches(r.scope, req) &&
    exactOrWildcard(strings(r.operations), req.operation) &&
    exactOrWildcard(strings(r.apiGroups), type.group) &&
    exactOrWildcard(strings(r.apiVersions), type.version) &&
    resourceMatches(strings(r.resources), type, req.subresource) &&
    (names.length === 0 || names.includes(req.name))
  );
}

/** The other served versions of the request's resource (upstream's EquivalentResourceMapper). */
function equivalents(type: ResourceType): ResourceType[] {
  return RESOURCES.filter((r) => r.group === type.group && r.plural === type.plural && r.version !== type.version);
}

/**
 * The type a webhook is called with: the request's own when a rule names it, else (matchPolicy
 * Equivalent) the first rule's equivalent version; undefined when no rule matches.
 */
export function matchingType(rules: unknown[], matchPolicy: unknown, req: MatchRequest): ResourceType | undefined {
  if (rules.some((rule) => ruleMatches(rule, req))) return req.type;
  if (matchPolicy === 'Exact') return undefined;
  for (const rule of rules) {
    const equivalent = equivalents(req.type).find((type) => ruleMatches(rule, req, type));
    if (equivalent) return equivalent;
  }
  return undefined;
}

/** A metav1.LabelSelector against labels; an empty selector matches everything. */
export function labelSelectorMatches(selector: unknown, labels: Record<string, string> | undefined): boolean {
  const text = selectorString(selector);
  if (text === '') return true;
  try {
    return parseLabelSelector(text)({ metadata: { labels: labels ?? {} } });
  } catch (err) {
    throw apiErrors.internal(err instanceof Error ? err.message : String(err));
  }
}

const isEmptySelector = (selector: unknown) => selectorString(selector) === '';

/**
 * upstream's MatchNamespaceSelector: cluster-scoped requests (other than on namespaces) always
 * match; a namespace's create and update are judged by the labels it is given; other requests by
 * the labels of the stored namespace (`namespaceLabels`, undefined when it does not exist: 404).
 */
export function namespaceSelectorMatches(selector: unknown, req: MatchRequest, namespaceLabels: (name: string) => Record<string, string> | undefined): boolean {
  if (req.namespace === '' && !isNamespaceKind(req.type)) return true;
  if (isEmptySelector(selector)) return true;
  let labels: Record<string, string> | undefined;
  if (isNamespaceKind(req.type) && req.subresource === '' && (req.operation === 'CREATE' || req.operation === 'UPDATE')) labels = req.object?.metadata?.labels ?? {};
  else {
    labels = namespaceLabels(req.namespace);
    if (labels === undefined) throw apiErrors.notFound('namespaces', '', req.namespace);
  }
  return labelSelectorMatches(selector, labels);
}

/** upstream's MatchObjectSelector: the new or the old object's labels. */
export function objectSelectorMatches(selector: unknown, req: MatchRequest): boolean {
  if (isEmptySelector(selector)) return true;
  return [req.object, req.oldObject].some((o) => o !== undefined && o !== null && labelSelectorMatches(selector, o.metadata?.labels ?? {}));
}

/** The admission configuration kinds themselves are never sent to webhooks or policies (upstream's IsExemptAdmissionConfigurationResource). */
export function exemptFromDynamicAdmission(type: ResourceType): boolean {
  return type.group === 'admissionregistration.k8s.io' && ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding'].includes(type.kind);
}
