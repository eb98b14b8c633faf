/**
 * Calls the admission webhooks a request matches, as upstream's webhook/mutating and
 * webhook/validating dispatchers. Mutating webhooks run one after the other, each seeing the
 * object as the ones before left it (their JSONPatch applied), and those with
 * reinvocationPolicy IfNeeded are called once more when a later webhook changed the object;
 * validating webhooks run in parallel. A webhook that cannot be called, times out or answers
 * nonsense is skipped under failurePolicy Ignore and refuses the request (500, naming it) under
 * Fail; a denial is returned with the webhook's Status.
 */
import { randomUUID } from 'node:crypto';
import type { AdmissionAttributes } from '../admission/types.js';
import { asVersion } from '../conversion.js';
import { jsonPatch } from '../patch.js';
import type { ResourceType } from '../resources.js';
import { ApiError, apiErrors } from '../status.js';
import type { KubeObject } from '../storage.js';
import { conditionsMatch, type CelVariables, type MatchCondition } from './cel.js';
import { matchingType, matchRequest, namespaceSelectorMatches, objectSelectorMatches } from './matching.js';
import { admissionRequest, admissionReview, denial, verifyAdmissionResponse, WebhookCallError } from './review.js';


/** One webhook of a configuration, with upstream's defaults already stored (policy-kinds.ts). */
export interface Webhook {
  /** `<configuration>/<index>`: identifies it across reinvocation. */
  readonly uid: string;
  readonly configuration: string;
  readonly name: string;
  readonly rules: unknown[];
  readonly matchPolicy: unknown;
  readonly namespaceSelector: unknown;
  readonly objectSelector: unknown;
  readonly matchConditions: MatchCondition[];
  readonly failurePolicy: string;
  readonly sideEffects: string;
  readonly timeoutSeconds: number;
  readonly admissionReviewVersions: string[];
  readonly reinvocationPolicy: string;
  readonly clientConfig: unknown;
}

export interface DispatchContext {
  /** The labels of a stored namespace; undefined when there is none. */
  namespaceLabels(name: string): Record<string, string> | undefined;
  /** POSTs a review to the webhook and answers the decoded body; failures are WebhookCallErrors (client.ts). */
  call(hook: Webhook, review: unknown): Promise<unknown>;
  /** The CEL variables of a request (matchConditions), the object in the version `as`. */
  celVariables(attrs: AdmissionAttributes, as: ResourceType): CelVariables;
  /** Told when a failing webhook is ignored (failurePolicy Ignore). */
  failedOpen(webhook: string, err: WebhookCallError): void;
}

/** The version the webhook is called with, or undefined when it does not apply to the request. */
async function shouldCall(hook: Webhook, attrs: AdmissionAttributes, ctx: DispatchContext): Promise<ResourceType | undefined> {
  const req = matchRequest(attrs);
  const tryMatch = (match: () => boolean): { matches: boolean; error?: unknown } => {
    try {
      return { matches: match() };
    } catch (error) {
      return { matches: false, error };
    }
  };
  // As upstream, a selector that cannot be evaluated is an error only for a webhook whose rules match.
  const ns = tryMatch(() => namespaceSelectorMatches(hook.namespaceSelector, req, ctx.namespaceLabels));
  if (!ns.matches && ns.error === undefined) return undefined;
  const object = tryMatch(() => objectSelectorMatches(hook.objectSelector, req));
  if (!object.matches && object.error === undefined) return undefined;
  const type = matchingType(hook.rules, hook.matchPolicy, req);
  if (!type) return undefined;
  if (ns.error !== undefined) throw ns.error;
  if (object.error !== undefined) throw object.error;
  if (hook.matchConditions.length > 0) {
    const result = await conditionsMatch(hook.matchConditions, ctx.celVariables(attrs, type), hook.failurePolicy);
    if (result.error !== undefined) throw new ApiError(403, 'Forbidden', `${attrs.type.group ? `${attrs.type.plural}.${attrs.type.group}` : attrs.type.plural} "${attrs.name}" is forbidden: ${result.error}`, { name: attrs.name, group: attrs.type.group, kind: attrs.type.plural });
    if (!result.matches) return undefined;
  }
  return type;
}

/** One call; answers the patched object (in the request's version) or undefined. */
async function callHook(hook: Webhook, attrs: AdmissionAttributes, as: ResourceType, mutating: boolean, ctx: DispatchContext): Promise<KubeObject | undefined> {
  if (attrs.dryRun && hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun') throw apiErrors.badRequest(`admission webhook "${hook.name}" does not support dry run`);
  const uid = randomUUID();
  const object = attrs.object && asVersion(as, attrs.object);
  const oldObject = attrs.oldObject && asVersion(as, attrs.oldObject);
  let review;
  try {
    review = admissionReview(hook.admissionReviewVersions, admissionRequest(uid, attrs, matchRequest(attrs).namespace, as), object, oldObject);
  } catch (err) {
    throw new WebhookCallError(hook.name, `could not create admission objects: ${err instanceof Error ? err.message : String(err)}`);
  }
  const answer = await ctx.call(hook, review.review);
  let response;
  try {
    response = verifyAdmissionResponse(uid, mutating, review.version, answer);
  } catch (err) {
    throw new WebhookCallError(hook.name, `received invalid webhook response: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const [key, value] of Object.entries(response.auditAnnotations)) attrs.annotate?.(`${hook.name}/${key}`, value);
  for (const warning of response.warnings) attrs.warn?.(warning);
  if (!response.allowed) throw denial(hook.name, response.result);
  if (!response.patch) return undefined;
  let operations: unknown;
  try {
    operations = JSON.parse(response.patch.toString('utf8'));
    if (!Array.isArray(operations)) throw new Error('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  } catch (err) {
    throw new WebhookCallError(hook.name, `received undecodable patch in webhook response: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (operations.length === 0) return undefined;
  if (!object || attrs.operation === 'CONNECT') throw apiErrors.internal(`admission webhook "${hook.name}" attempted to modify the object, which is not supported for this operation`);
  if (response.patchType !== 'JSONPatch') throw new WebhookCallError(hook.name, `unsupported patch type "${response.patchType}"`);
  let patched: unknown;
  try {
    patched = jsonPatch(object as Parameters<typeof jsonPatch>[0], operations as Parameters<typeof jsonPatch>[1]);
  } catch (err) {
    throw apiErrors.internal(err instanceof Error ? err.message : String(err));
  }
  return asVersion(attrs.type, patched as KubeObject);
}

/** A call failure under the webhook's failurePolicy: undefined when ignored, else the error to answer. */
function failure(hook: Webhook, err: unknown, ctx: DispatchContext): Error | undefined {
  if (!(err instanceof WebhookCallError)) return err instanceof Error ? err : new Error(String(err));
  if (hook.failurePolicy === 'Ignore') {
    ctx.failedOpen(hook.name, err);
    return undefined;
  }
  return apiErrors.internal(err.message);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The mutating webhooks in order, then those asking for it again once; the changed object or undefined. */
export async function dispatchMutating(hooks: readonly Webhook[], attrs: AdmissionAttributes, ctx: DispatchContext): Promise<KubeObject | undefined> {
  let current = attrs;
  let changedAny = false;
  // upstream's webhookReinvokeContext: reinvocable webhooks called before a change are called again.
  let previouslyInvoked = new Set<string>();
  const reinvoke = new Set<string>();
  for (const round of [0, 1]) {
    if (round === 1 && reinvoke.size === 0) break;
    for (const [index, hook] of hooks.entries()) {
      if (round === 1 && !reinvoke.has(hook.uid)) continue;
      const as = await shouldCall(hook, current, ctx);
      if (!as) continue;
      let patched: KubeObject | undefined;
      let error: Error | undefined;
      try {
        patched = await callHook(hook, current, as, true, ctx);
      } catch (err) {
        error = failure(hook, err, ctx);
        if (!error && err instanceof WebhookCallError) current.annotate?.(`failed-open.mutation.webhook.admission.k8s.io/round_${round}_index_${index}`, hook.name);
      }
      const changed = patched !== undefined && !same(patched, current.object);
      current.annotate?.(`mutation.webhook.admission.k8s.io/round_${round}_index_${index}`, JSON.stringify({ configuration: hook.configuration, webhook: hook.name, mutated: changed }));
      if (changed) {
        for (const uid of previouslyInvoked) reinvoke.add(uid);
        previouslyInvoked = new Set();
        current = { ...current, object: patched };
        changedAny = true;
      }
      if (hook.reinvocationPolicy === 'IfNeeded') previouslyInvoked.add(hook.uid);
      if (error) throw error;
    }
  }
  return changedAny ? current.object : undefined;
}

/** The validating webhooks, all at once; the first refusal (in configuration order) is the answer. */
export async function dispatchValidating(hooks: readonly Webhook[], attrs: AdmissionAttributes, ctx: DispatchContext): Promise<void> {
  const calls: Array<{ hook: Webhook; as: ResourceType; index: number }> = [];
  for (const [index, hook] of hooks.entries()) {
    const as = await shouldCall(hook, attrs, ctx);
    if (as) calls.push({ hook, as, index });
  }
  const results = await Promise.allSettled(calls.map(({ hook, as }) => callHook(hook, attrs, as, false, ctx)));
  let first: Error | undefined;
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const { hook, index } = calls[i] as { hook: Webhook; index: number };
    const error = failure(hook, result.reason, ctx);
    if (!error) attrs.annotate?.(`failed-open.validating.webhook.admission.k8s.io/round_0_index_${index}`, hook.name);
    first ??= error;
  });
  if (first) throw first;
}
