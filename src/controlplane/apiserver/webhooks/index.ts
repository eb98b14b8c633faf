/**
 * Dynamic admission: the Mutating/ValidatingWebhookConfigurations and the
 * ValidatingAdmissionPolicies with their bindings, read from watched caches (never per request),
 * applied to the requests they match. Modules: matching (rules, selectors), review
 * (AdmissionReview, response checks), client (HTTPS calls, Service resolution), dispatch
 * (mutating and validating webhooks), cel (@marcbachmann/cel-js), policies
 * (ValidatingAdmissionPolicy).
 */
import { randomUUID } from 'node:crypto';
import type { AdmissionAttributes, DynamicAdmission } from '../admission/types.js';
import type { PrefixCache } from '../cache.js';
import { asVersion } from '../conversion.js';
import type { ObjectStore } from '../objects.js';
import { findKind, findResource, type ResourceType } from '../resources.js';
import { ApiError, qualified } from '../status.js';
import type { KubeObject } from '../storage.js';
import { selectorString } from '../subresources.js';
import { toCel, type CelVariables } from './cel.js';
import { postReview, webhookTarget, type ServiceLookup } from './client.js';
import { dispatchMutating, dispatchValidating, type DispatchContext, type Webhook } from './dispatch.js';
import { exemptFromDynamicAdmission, matchRequest } from './matching.js';
import { validatePolicies, type PolicyContext } from './policies.js';
import { admissionRequest, type WebhookCallError } from './review.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => !!x && typeof x === 'object') : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const byName = (a: KubeObject, b: KubeObject) => String(a.metadata?.name ?? '').localeCompare(String(b.metadata?.name ?? ''));

export interface DynamicAdmissionCaches {
  mutatingWebhookConfigurations: PrefixCache;
  validatingWebhookConfigurations: PrefixCache;
  validatingAdmissionPolicies: PrefixCache;
  validatingAdmissionPolicyBindings: PrefixCache;
  namespaces: PrefixCache;
}

/** How long a request waits for the caches' first sync before it is refused (upstream's WaitForReady). */
const READY_WAIT_MS = 10_000;

/** upstream's webhook accessors, from configurations sorted by name (upstream's order). */
export function webhooksOf(configurations: readonly KubeObject[]): Webhook[] {
  return [...configurations].sort(byName).flatMap((config) => {
    const configuration = String(config.metadata?.name ?? '');
    return list(config.webhooks).map((h, i) => ({
      uid: `${configuration}/${i}`,
      configuration,
      name: text(h.name),
      rules: list(h.rules),
      matchPolicy: h.matchPolicy,
      namespaceSelector: h.namespaceSelector,
      objectSelector: h.objectSelector,
      matchConditions: list(h.matchConditions).map((c) => ({ name: text(c.name), expression: text(c.expression) })),
      failurePolicy: text(h.failurePolicy) || 'Fail',
      sideEffects: text(h.sideEffects),
      timeoutSeconds: typeof h.timeoutSeconds === 'number' ? h.timeoutSeconds : 10,
      admissionReviewVersions: Array.isArray(h.admissionReviewVersions) ? h.admissionReviewVersions.filter((v): v is string => typeof v === 'string') : [],
      reinvocationPolicy: text(h.reinvocationPolicy) || 'Never',
      clientConfig: h.clientConfig,
    }));
  });
}

/** A view derived from a cache, rebuilt when the cache changed. */
function derived<T>(cache: PrefixCache, build: (objects: KubeObject[]) => T): () => T {
  let generation = -1;
  let value: T;
  return () => {
    if (cache.generation !== generation) {
      generation = cache.generation;
      value = build(cache.values());
    }
    return value;
  };
}

export class WebhookAdmission implements DynamicAdmission {
  private readonly mutating: () => Webhook[];
  private readonly validating: () => Webhook[];
  private readonly namespaces: () => Map<string, KubeObject>;
  private synced = false;
  private readonly services: ServiceLookup;

  constructor(
    private readonly caches: DynamicAdmissionCaches,
    /** Resolves once the caches have listed (the API server's start-up). */
    private readonly ready: Promise<void>,
    private readonly objects: ObjectStore,
    private readonly warn: (message: string) => void,
  ) {
    this.mutating = derived(caches.mutatingWebhookConfigurations, webhooksOf);
    this.validating = derived(caches.validatingWebhookConfigurations, webhooksOf);
    this.namespaces = derived(caches.namespaces, (all) => new Map(all.map((n) => [String(n.metadata?.name ?? ''), n])));
    void ready.then(() => (this.synced = true));
    const core = (plural: string) => findResource('', 'v1', plural) as ResourceType;
    const slices = findResource('discovery.k8s.io', 'v1', 'endpointslices') as ResourceType;
    this.services = {
      service: async (namespace, name) => (await objects.storage.get(objects.key(core('services'), namespace, name)))?.object,
      endpointSlices: async (namespace, service) => (await objects.list(slices, namespace, new URLSearchParams({ labelSelector: `kubernetes.io/service-name=${service}` }))).items as KubeObject[],
    };
  }

  /** upstream's WaitForReady: a request before the first sync waits for it, then is refused. */
  private async waitForReady(attrs: AdmissionAttributes): Promise<void> {
    if (this.synced) return;
    let timer: NodeJS.Timeout | undefined;
    const synced = await Promise.race([this.ready.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), READY_WAIT_MS)))]);
    clearTimeout(timer);
    if (!synced) {
      const { group, plural } = attrs.type;
      throw new ApiError(403, 'Forbidden', `${qualified(plural, group)} "${attrs.name}" is forbidden: not yet ready to handle request`, { name: attrs.name, group, kind: plural });
    }
  }

  /** The namespace from the cache, else from etcd (a namespace created a moment ago, as upstream's live lookup). */
  private async namespace(name: string): Promise<KubeObject | undefined> {
    if (!name) return undefined;
    const cached = this.namespaces().get(name);
    if (cached) return cached;
    return (await this.objects.storage.get(this.objects.key(findResource('', 'v1', 'namespaces') as ResourceType, undefined, name)))?.object;
  }

  private celVariables(attrs: AdmissionAttributes, as: ResourceType): CelVariables {
    const version = (o: KubeObject | undefined) => (o ? toCel(asVersion(as, o)) : null);
    return { object: version(attrs.object), oldObject: version(attrs.oldObject), request: toCel(admissionRequest(randomUUID(), attrs, matchRequest(attrs).namespace, as)) };
  }

  private async context(attrs: AdmissionAttributes): Promise<DispatchContext & PolicyContext> {
    const namespace = await this.namespace(matchRequest(attrs).namespace);
    const found = (name: string) => (namespace && namespace.metadata?.name === name ? namespace : undefined);
    return {
      namespaceLabels: (name) => (found(name) ? (found(name)?.metadata?.labels ?? {}) : undefined),
      namespaceObject: found,
      call: async (hook, review) => postReview(hook.name, await webhookTarget(hook.name, hook.clientConfig, hook.timeoutSeconds, this.services), review, hook.timeoutSeconds),
      celVariables: (a, as) => this.celVariables(a, as),
      failedOpen: (webhook: string, err: WebhookCallError) => this.warn(`Failed calling webhook, failing open ${webhook}: ${err.message}`),
      params: (paramKind, paramRef, requestNamespace) => this.params(paramKind, paramRef, requestNamespace),
    };
  }

  /** The parameter objects a binding's paramRef selects (by name, or by selector). */
  private async params(paramKind: Obj, paramRef: Obj, requestNamespace: string): Promise<KubeObject[]> {
    const type = findKind(text(paramKind.apiVersion), text(paramKind.kind));
    if (!type) throw new Error(`failed to find resource referenced by paramKind: '${text(paramKind.apiVersion)}, Kind=${text(paramKind.kind)}'`);
    const namespace = type.namespaced ? text(paramRef.namespace) || requestNamespace : undefined;
    if (type.namespaced && !namespace) throw new Error('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    if (text(paramRef.name)) {
      const stored = await this.objects.storage.get(this.objects.key(type, namespace, text(paramRef.name)));
      return stored ? [stored.object] : [];
    }
    const listed = await this.objects.list(type, namespace, new URLSearchParams({ labelSelector: selectorString(obj(paramRef.selector)) }));
    return listed.items as KubeObject[];
  }

  async mutate(attrs: AdmissionAttributes): Promise<KubeObject | undefined> {
    if (exemptFromDynamicAdmission(attrs.type)) return undefined;
    await this.waitForReady(attrs);
    const hooks = this.mutating();
    if (hooks.length === 0) return undefined;
    return dispatchMutating(hooks, attrs, await this.context(attrs));
  }

  async validateWebhooks(attrs: AdmissionAttributes): Promise<void> {
    if (exemptFromDynamicAdmission(attrs.type)) return;
    await this.waitForReady(attrs);
    const hooks = this.validating();
    if (hooks.length === 0) return;
    await dispatchValidating(hooks, attrs, await this.context(attrs));
  }

  async validatePolicies(attrs: AdmissionAttributes): Promise<void> {
    if (exemptFromDynamicAdmission(attrs.type)) return;
    await this.waitForReady(attrs);
    const bindings = this.caches.validatingAdmissionPolicyBindings.values();
    if (bindings.length === 0) return;
    await validatePolicies(this.caches.validatingAdmissionPolicies.values(), bindings, attrs, await this.context(attrs));
  }
}
