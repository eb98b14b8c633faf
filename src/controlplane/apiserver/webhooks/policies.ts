/**
 * ValidatingAdmissionPolicy with its bindings, as upstream's admission/plugin/policy/validating:
 * a binding applies its policy to the requests both the policy's matchConstraints and the
 * binding's matchResources match; with a paramKind, each parameter object the binding's
 * paramRef selects is evaluated in turn. The policy's matchConditions, variables, validations
 * (CEL; message, messageExpression, reason) and auditAnnotations are evaluated, and every failed
 * validation takes the binding's validationActions: Deny refuses the request (the first
 * denial is the answer, with its reason's code), Warn adds a Warning header, Audit an audit
 * annotation. A policy that cannot be evaluated follows its failurePolicy.
 */
import type { AdmissionAttributes } from '../admission/types.js';
import { ApiError, qualified } from '../status.js';
import type { KubeObject } from '../storage.js';
import type { ResourceType } from '../resources.js';
import { conditionsMatch, evaluate, evaluateBool, toCel, type CelVariables, type MatchCondition } from './cel.js';
import { matchingType, matchRequest, namespaceSelectorMatches, objectSelectorMatches, type MatchRequest } from './matching.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => !!x && typeof x === 'object') : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface PolicyContext {
  namespaceLabels(name: string): Record<string, string> | undefined;
  /** The request's namespace object (namespaceObject in CEL), or undefined. */
  namespaceObject(name: string): KubeObject | undefined;
  /** The parameter objects a paramRef selects; throws when paramKind names no served kind. */
  params(paramKind: Obj, paramRef: Obj, requestNamespace: string): Promise<KubeObject[]>;
  /** object, oldObject and request as CEL values, the object in the version `as`. */
  celVariables(attrs: AdmissionAttributes, as: ResourceType): CelVariables;
}

interface Decision {
  policy: string;
  binding: string;
  message: string;
  reason: string;
  expressionIndex?: number;
}

/** A MatchResources (policy or binding): the type the request is evaluated as, or undefined. */
function matchResources(match: unknown, req: MatchRequest, ctx: PolicyContext): ResourceType | undefined {
  const m = obj(match);
  if (!namespaceSelectorMatches(m.namespaceSelector, req, ctx.namespaceLabels) || !objectSelectorMatches(m.objectSelector, req)) return undefined;
  if (matchingType(list(m.excludeResourceRules), m.matchPolicy, req)) return undefined;
  const rules = list(m.resourceRules);
  return rules.length === 0 ? req.type : matchingType(rules, m.matchPolicy, req);
}

/** The failed validations of one policy for one parameter (or none). */
async function evaluateWithParam(policy: KubeObject, vars: CelVariables, failurePolicy: string, annotate: (key: string, value: string) => void): Promise<Array<Omit<Decision, 'policy' | 'binding'>>> {
  const spec = obj(policy.spec);
  const failed: Array<Omit<Decision, 'policy' | 'binding'>> = [];
  const conditions = list(spec.matchConditions).map((c) => ({ name: text(c.name), expression: text(c.expression) }) satisfies MatchCondition);
  const matched = await conditionsMatch(conditions, vars, failurePolicy);
  if (matched.error !== undefined) return [{ message: matched.error, reason: '' }];
  if (!matched.matches) return [];
  // Variables see the ones before them; one that fails is absent (an expression using it errs).
  const variables: Record<string, unknown> = {};
  const withVariables = { ...vars, variables };
  for (const variable of list(spec.variables)) {
    try {
      variables[text(variable.name)] = await evaluate(text(variable.expression), withVariables);
    } catch {
      // left undefined
    }
  }
  for (const [index, validation] of list(spec.validations).entries()) {
    const expression = text(validation.expression);
    let passed: boolean;
    try {
      passed = await evaluateBool(expression, withVariables);
    } catch (err) {
      if (failurePolicy !== 'Ignore') failed.push({ message: `expression '${expression}' resulted in error: ${messageOf(err)}`, reason: '', expressionIndex: index });
      continue;
    }
    if (passed) continue;
    let message = text(validation.message) || `failed expression: ${expression.trim()}`;
    if (validation.messageExpression !== undefined) {
      const computed = await evaluate(text(validation.messageExpression), withVariables).catch(() => undefined);
      if (typeof computed === 'string' && computed.trim() !== '' && !computed.includes('\n')) message = computed.trim();
    }
    failed.push({ message, reason: text(validation.reason), expressionIndex: index });
  }
  for (const annotation of list(spec.auditAnnotations)) {
    const value = await evaluate(text(annotation.valueExpression), withVariables).catch(() => undefined);
    if (typeof value === 'string') annotate(`${String(policy.metadata?.name)}/${text(annotation.key)}`, value);
  }
  return failed;
}

/** upstream's reasonToCode. */
function reasonCode(reason: string): number {
  return ({ Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413, Unauthorized: 401 } as Record<string, number>)[reason] ?? 422;
}

/** The failed decisions of one binding of one policy. */
async function evaluateBinding(policy: KubeObject, binding: KubeObject, attrs: AdmissionAttributes, req: MatchRequest, ctx: PolicyContext): Promise<Decision[]> {
  const spec = obj(policy.spec);
  const bindingSpec = obj(binding.spec);
  const policyName = String(policy.metadata?.name ?? '');
  const bindingName = String(binding.metadata?.name ?? '');
  const failurePolicy = text(spec.failurePolicy) || 'Fail';
  const decide = (d: Omit<Decision, 'policy' | 'binding'>): Decision => ({ policy: policyName, binding: bindingName, ...d });
  try {
    const as = matchResources(spec.matchConstraints, req, ctx);
    if (!as || (bindingSpec.matchResources !== undefined && !matchResources(bindingSpec.matchResources, req, ctx))) return [];
    let params: Array<KubeObject | null> = [null];
    if (spec.paramKind !== undefined) {
      if (bindingSpec.paramRef === undefined) throw new Error(`policy binding ${bindingName} must set paramRef when policy ${policyName} has paramKind`);
      params = await ctx.params(obj(spec.paramKind), obj(bindingSpec.paramRef), req.namespace);
      if (params.length === 0) {
        if (obj(bindingSpec.paramRef).parameterNotFoundAction === 'Deny') throw new Error('no params found for policy binding with `Deny` parameterNotFoundAction');
        return [];
      }
    }
    const base = ctx.celVariables(attrs, as);
    const namespaceObject = req.namespace ? ctx.namespaceObject(req.namespace) : undefined;
    const decisions: Decision[] = [];
    for (const param of params) {
      const vars = { ...base, params: param === null ? null : toCel(param), namespaceObject: namespaceObject ? toCel(namespaceObject) : null };
      decisions.push(...(await evaluateWithParam(policy, vars, failurePolicy, (k, v) => attrs.annotate?.(k, v))).map(decide));
    }
    return decisions;
  } catch (err) {
    return failurePolicy === 'Ignore' ? [] : [decide({ message: messageOf(err), reason: '' })];
  }
}

/** The request's name as upstream's admission.NewForbidden finds it. */
function forbiddenName(attrs: AdmissionAttributes): string {
  const meta = attrs.object?.metadata;
  return meta ? meta.name || meta.generateName || 'Unknown' : 'Unknown';
}

/** Evaluates every binding that applies; throws the first denial. */
export async function validatePolicies(policies: readonly KubeObject[], bindings: readonly KubeObject[], attrs: AdmissionAttributes, ctx: PolicyContext): Promise<void> {
  if (bindings.length === 0) return;
  const req = matchRequest(attrs);
  const byName = new Map(policies.map((p) => [String(p.metadata?.name ?? ''), p]));
  const denied: Decision[] = [];
  const audited: Array<Decision & { validationActions: string[] }> = [];
  for (const binding of [...bindings].sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))) {
    const policy = byName.get(text(obj(binding.spec).policyName));
    if (!policy) continue;
    const declared = obj(binding.spec).validationActions;
    const actions = [...new Set(Array.isArray(declared) ? declared : [])].filter((a): a is string => typeof a === 'string');
    for (const decision of await evaluateBinding(policy, binding, attrs, req, ctx)) {
      if (actions.includes('Deny')) denied.push(decision);
      if (actions.includes('Warn')) attrs.warn?.(`Validation failed for ValidatingAdmissionPolicy '${decision.policy}' with binding '${decision.binding}': ${decision.message}`);
      if (actions.includes('Audit')) audited.push({ ...decision, validationActions: actions });
    }
  }
  if (audited.length > 0) {
    attrs.annotate?.('validation.policy.admission.k8s.io/validation_failure', JSON.stringify(audited.map((d) => ({ message: d.message, policy: d.policy, binding: d.binding, expressionIndex: d.expressionIndex ?? 0, validationActions: d.validationActions }))));
  }
  const first = denied[0];
  if (!first) return;
  const reason = first.reason || 'Invalid';
  const message = `ValidatingAdmissionPolicy '${first.policy}' with binding '${first.binding}' denied request: ${first.message}`;
  const name = forbiddenName(attrs);
  const { group, plural } = attrs.type;
  throw new ApiError(reasonCode(reason), reason, `${qualified(plural, group)} "${name}" is forbidden: ${message}`, { name, group, kind: plural, causes: [{ reason: '', message }] });
}
