/**
 * Subresources with their own shape, one handler per row: `serviceaccounts/token`
 * (TokenRequest), `deployments|replicasets/scale` (autoscaling/v1 Scale), `pods/binding`
 * (what the scheduler posts) and `pods/eviction` (eviction.ts). `status`, `approval` and `finalize` are served by ObjectStore.
 */
import type { KeyObject } from 'node:crypto';
import type { UserInfo } from './authn.js';
import type { ObjectStore } from './objects.js';
import { nowTimestamp, parseResourceVersion } from './objects.js';
import { evict } from './eviction.js';
import { applyPatch } from './patch.js';
import { findResource, type ResourceType } from './resources.js';
import { grantClaims, signToken, type BoundRef } from './satoken.js';
import { ApiError, apiErrors, type StatusCause } from './status.js';
import type { KubeObject } from './storage.js';

export interface TokenIssuer {
  signingKey: KeyObject;
  issuer: string;
  /** Used when a TokenRequest names no audience (--api-audiences). */
  audiences: readonly string[];
  /** Upper bound for expirationSeconds (--service-account-max-token-expiration); 0 for none. */
  maxExpirationSeconds: number;
}

export interface SubresourceRequest {
  objects: ObjectStore;
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  verb: string;
  body: unknown;
  patchType: string;
  user: UserInfo;
  dryRun: boolean;
  tokens: TokenIssuer | undefined;
  /** Records the write in managedFields (scale). */
  fieldManager?: string | undefined;
}

export interface SubresourceResult {
  code: number;
  body: KubeObject;
}

type Handler = (request: SubresourceRequest) => Promise<SubresourceResult>;
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

const invalid = (kind: string, group: string, name: string, field: string, message: string): ApiError =>
  apiErrors.invalid(kind, group, name, [{ reason: 'FieldValueInvalid', message, field } satisfies StatusCause]);

// ---- serviceaccounts/token -------------------------------------------------------------

const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;
const BINDABLE: Record<string, { plural: string; namespaced: boolean }> = { Pod: { plural: 'pods', namespaced: true }, Secret: { plural: 'secrets', namespaced: true }, Node: { plural: 'nodes', namespaced: false } };

async function createToken(request: SubresourceRequest): Promise<SubresourceResult> {
  const { tokens, objects, namespace = '', name } = request;
  if (!tokens) throw apiErrors.notFoundPath();
  if (request.verb !== 'create') throw apiErrors.methodNotAllowed(request.verb);
  const body = obj(request.body);
  const spec = obj(body.spec);
  const expirationSeconds = spec.expirationSeconds === undefined ? 3600 : Number(spec.expirationSeconds);
  const tokenInvalid = (field: string, message: string) => invalid('TokenRequest', 'authentication.k8s.io', name, field, message);
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_TOKEN_SECONDS) throw tokenInvalid('spec.expirationSeconds', `Invalid value: ${String(spec.expirationSeconds)}: may not specify a duration less than 10 minutes`);
  if (expirationSeconds > MAX_TOKEN_SECONDS) throw tokenInvalid('spec.expirationSeconds', `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds`);
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [...tokens.audiences];
  const granted = tokens.maxExpirationSeconds > 0 ? Math.min(expirationSeconds, tokens.maxExpirationSeconds) : expirationSeconds;
  const sa = await objects.get(findResource('', 'v1', 'serviceaccounts') as ResourceType, namespace, name);
  const serviceAccount: BoundRef = { name, uid: String(sa.metadata?.uid ?? '') };
  let bound: { kind: 'Pod' | 'Secret' | 'Node'; ref: BoundRef } | undefined;
  const boundRef = spec.boundObjectRef === undefined ? undefined : obj(spec.boundObjectRef);
  if (boundRef) {
    const kind = String(boundRef.kind ?? '');
    const target = BINDABLE[kind];
    if (!target || (boundRef.apiVersion !== undefined && boundRef.apiVersion !== 'v1')) throw apiErrors.badRequest(`cannot bind token for serviceaccount "${name}" to object of type ${String(boundRef.apiVersion ?? '')}, Kind=${kind}`);
    const object = await objects.get(findResource('', 'v1', target.plural) as ResourceType, target.namespaced ? namespace : undefined, String(boundRef.name ?? ''));
    const uid = String(object.metadata?.uid ?? '');
    if (boundRef.uid && boundRef.uid !== uid) {
      throw new ApiError(409, 'Conflict', `the UID in the bound object reference (${String(boundRef.uid)}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    bound = { kind: kind as 'Pod' | 'Secret' | 'Node', ref: { name: String(boundRef.name), uid } };
  }
  const nowSeconds = Math.floor(Date.now() / 1000);
  const claims = grantClaims({ issuer: tokens.issuer, audiences, expirationSeconds: granted, namespace, serviceAccount, nowSeconds, ...(bound ? { bound } : {}) });
  const token = request.dryRun ? '' : signToken(claims, tokens.signingKey);
  return {
    code: 201,
    body: {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: null as unknown as string },
      spec: { audiences, expirationSeconds: granted, boundObjectRef: bound ? { kind: bound.kind, apiVersion: 'v1', name: bound.ref.name, uid: bound.ref.uid } : null },
      status: { token, expirationTimestamp: new Date(claims.exp * 1000).toISOString().replace(/\.\d+Z$/, 'Z') },
    },
  };
}

// ---- deployments|replicasets|statefulsets/scale -------------------------------------------

/** A LabelSelector as the string form Scale.status.selector carries. */
export function selectorString(selector: unknown): string {
  const s = obj(selector);
  const terms = Object.entries(obj(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of (Array.isArray(s.matchExpressions) ? s.matchExpressions : []) as Obj[]) {
    const values = (Array.isArray(e.values) ? e.values : []).map(String).sort().join(',');
    const op = String(e.operator);
    terms.push(op === 'In' ? `${String(e.key)} in (${values})` : op === 'NotIn' ? `${String(e.key)} notin (${values})` : op === 'Exists' ? String(e.key) : `!${String(e.key)}`);
  }
  return terms.sort().join(',');
}

export function toScale(object: KubeObject): KubeObject {
  const meta = object.metadata ?? {};
  const spec = obj(object.spec);
  const status = obj(object.status);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion, creationTimestamp: meta.creationTimestamp },
    spec: { replicas: Number(spec.replicas ?? 1) },
    status: { replicas: Number(status.replicas ?? 0), selector: selectorString(spec.selector) },
  };
}

/**
 * A `scale` subresource over an object's replica count: `read` gives the object's Scale, `write`
 * the object with `replicas` set (deployments and replicasets; custom resources at their CRD's paths).
 */
export function scaleHandler(read: (type: ResourceType, object: KubeObject) => KubeObject, write: (type: ResourceType, object: KubeObject, replicas: number) => KubeObject): Handler {
  return async (request) => {
    const { objects, type, namespace, name } = request;
    const toScale = (object: KubeObject) => read(type, object);
    if (request.verb === 'get') return { code: 200, body: toScale(await objects.get(type, namespace, name)) };
    if (request.verb !== 'update' && request.verb !== 'patch') throw apiErrors.methodNotAllowed(request.verb);
    const updated = await objects.guaranteedUpdate(
      type,
      namespace,
      name,
      (current) => {
        const currentScale = toScale(current);
        const wanted = request.verb === 'patch' ? obj(applyPatch(request.patchType, currentScale, request.body)) : obj(request.body);
        const replicas = obj(wanted.spec).replicas;
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
          throw invalid('Scale', 'autoscaling', name, 'spec.replicas', `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`);
        }
        const sentRv = obj(wanted.metadata).resourceVersion;
        const pinned = request.verb === 'update' && sentRv ? String(sentRv) : undefined;
        if (pinned) parseResourceVersion(pinned, 'metadata.resourceVersion');
        const next = write(type, current, replicas);
        return { ...next, metadata: { ...next.metadata, resourceVersion: pinned } };
      },
      { dryRun: request.dryRun, ...(request.fieldManager ? { fieldManager: request.fieldManager, subresource: 'scale' } : {}) },
    );
    return { code: 200, body: toScale(updated) };
  };
}

const setReplicas = (_type: ResourceType, object: KubeObject, replicas: number): KubeObject => ({ ...object, spec: { ...obj(object.spec), replicas } });
const scale = scaleHandler((_type, object) => toScale(object), setReplicas);
/** A ReplicationController's selector is a plain label map. */
const rcScale = scaleHandler((_type, object) => {
  const result = toScale(object);
  const selector = Object.entries(obj(obj(object.spec).selector)).map(([k, v]) => `${k}=${String(v)}`).sort().join(',');
  return { ...result, status: { ...obj(result.status), selector } };
}, setReplicas);

// ---- pods/binding ---------------------------------------------------------------------

async function bind(request: SubresourceRequest): Promise<SubresourceResult> {
  const { objects, type, namespace, name } = request;
  if (request.verb !== 'create') throw apiErrors.methodNotAllowed(request.verb);
  const binding = obj(request.body);
  const target = obj(binding.target);
  const bindingName = obj(binding.metadata).name;
  if (bindingName !== undefined && bindingName !== name) throw apiErrors.badRequest(`the name of the binding (${String(bindingName)}) does not match the name on the URL (${name})`);
  if (!target.name || (target.kind !== undefined && target.kind !== 'Node' && target.kind !== '')) {
    throw invalid('Binding', '', name, 'target', 'Invalid value: a binding must target a Node by name');
  }
  const node = String(target.name);
  await objects.guaranteedUpdate(
    type,
    namespace,
    name,
    (pod) => {
      const spec = obj(pod.spec);
      if (pod.metadata?.deletionTimestamp) throw new ApiError(409, 'Conflict', `pod ${name} is being deleted, cannot be assigned to a host`);
      if (spec.nodeName) throw new ApiError(409, 'Conflict', `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
      const status = obj(pod.status);
      const conditions = ((Array.isArray(status.conditions) ? status.conditions : []) as Obj[]).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowTimestamp() });
      return { ...pod, spec: { ...spec, nodeName: node }, status: { ...status, conditions }, metadata: { ...pod.metadata, resourceVersion: undefined } };
    },
    { dryRun: request.dryRun },
  );
  return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
}

const HANDLERS: Record<string, Handler> = {
  'serviceaccounts/token': createToken,
  'deployments/scale': scale,
  'replicasets/scale': scale,
  'statefulsets/scale': scale,
  'replicationcontrollers/scale': rcScale,
  'pods/binding': bind,
  'pods/eviction': evict,
};

/** The handler for `<plural>/<subresource>`, when it has its own shape. */
export function subresourceHandler(plural: string, subresource: string): Handler | undefined {
  return HANDLERS[`${plural}/${subresource}`];
}
