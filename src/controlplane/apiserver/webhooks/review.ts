/**
 * The admission.k8s.io AdmissionReview a webhook is sent and the checks of its answer, as
 * upstream's admission/plugin/webhook/request (CreateV1AdmissionReview, VerifyAdmissionResponse)
 * and webhook/errors (ToStatusErr). Pure.
 */
import type { AdmissionAttributes } from '../admission/types.js';
import type { ResourceType } from '../resources.js';
import { ApiError, type StatusDetails } from '../status.js';
import type { KubeObject } from '../storage.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * A failure to reach or understand a webhook (upstream's ErrCallingWebhook): failurePolicy
 * Ignore lets the request through, Fail refuses it with a 500 naming the webhook.
 */
export class WebhookCallError extends Error {
  constructor(
    readonly webhook: string,
    readonly reason: string,
  ) {
    super(`failed calling webhook "${webhook}": ${reason}`);
    this.name = 'WebhookCallError';
  }
}

/** The AdmissionRequest (without object and oldObject: `request` in CEL). */
export function admissionRequest(uid: string, attrs: AdmissionAttributes, namespace: string, as: ResourceType = attrs.type): Obj {
  const gvk = (t: ResourceType) => ({ group: t.group, version: t.version, kind: t.kind });
  const gvr = (t: ResourceType) => ({ group: t.group, version: t.version, resource: t.plural });
  const user = attrs.user;
  return {
    uid,
    kind: gvk(as),
    resource: gvr(as),
    ...(attrs.subresource ? { subResource: attrs.subresource, requestSubResource: attrs.subresource } : {}),
    requestKind: gvk(attrs.type),
    requestResource: gvr(attrs.type),
    ...(attrs.name ? { name: attrs.name } : {}),
    ...(namespace ? { namespace } : {}),
    operation: attrs.operation,
    userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), ...(user.groups.length ? { groups: [...user.groups] } : {}), ...(user.extra ? { extra: user.extra } : {}) },
    dryRun: attrs.dryRun === true,
    ...(attrs.options ? { options: attrs.options } : {}),
  };
}

/** The AdmissionReview in the first version the webhook accepts (v1, v1beta1), as upstream's CreateAdmissionObjects. */
export function admissionReview(versions: readonly string[], request: Obj, object: KubeObject | undefined, oldObject: KubeObject | undefined): { version: string; review: Obj } {
  const version = versions.find((v) => v === 'v1' || v === 'v1beta1');
  if (!version) throw new Error('webhook does not accept known AdmissionReview versions (v1, v1beta1)');
  const body = { ...request, object: object ?? null, oldObject: oldObject ?? null };
  return { version, review: { kind: 'AdmissionReview', apiVersion: `admission.k8s.io/${version}`, request: body } };
}

export interface AdmissionResponse {
  allowed: boolean;
  patch?: Buffer;
  patchType: string;
  result?: Obj;
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

const stringMap = (v: unknown): Record<string, string> => (isObj(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {});

/** upstream's VerifyAdmissionResponse; throws with its messages. */
export function verifyAdmissionResponse(uid: string, mutating: boolean, version: string, review: unknown): AdmissionResponse {
  if (!isObj(review)) throw new Error(`couldn't get version/kind; json parse error: expected an object`);
  const response = review.response;
  if (!isObj(response)) throw new Error('webhook response was absent');
  const patch = typeof response.patch === 'string' && response.patch !== '' ? Buffer.from(response.patch, 'base64') : undefined;
  const common = {
    allowed: response.allowed === true,
    ...(isObj(response.status) ? { result: response.status } : {}),
    warnings: Array.isArray(response.warnings) ? response.warnings.filter((w): w is string => typeof w === 'string') : [],
    auditAnnotations: stringMap(response.auditAnnotations),
  };
  // v1beta1 answers were never checked for uid, kind or patchType upstream.
  if (version === 'v1beta1') return { ...common, ...(mutating && patch ? { patch, patchType: 'JSONPatch' } : { patchType: '' }) };
  if (response.uid !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}`);
  if (review.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') {
    const [group, ver] = String(review.apiVersion ?? '').includes('/') ? String(review.apiVersion).split('/') : ['', String(review.apiVersion ?? '')];
    throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${group ? `${group}/` : ''}${ver}, Kind=${String(review.kind ?? '')}`);
  }
  const patchType = response.patchType;
  if (!mutating) {
    if (patch) throw new Error('validating webhook may not return response.patch');
    if (patchType !== undefined && patchType !== null) throw new Error('validating webhook may not return response.patchType');
    return { ...common, patchType: '' };
  }
  const hasType = patchType !== undefined && patchType !== null;
  if (patch && !hasType) throw new Error('webhook returned response.patch but not response.patchType');
  if (!patch && hasType) throw new Error('webhook returned response.patchType but not response.patch');
  if (hasType && (typeof patchType !== 'string' || patchType === '')) throw new Error(`webhook returned invalid response.patchType of ${JSON.stringify(patchType)}`);
  return { ...common, ...(patch ? { patch } : {}), patchType: hasType ? String(patchType) : '' };
}

/** upstream's ToStatusErr: the webhook's Status, at least a 400 Failure, its message prefixed with the webhook's name. */
export function denial(webhook: string, result: Obj | undefined): ApiError {
  const status = result ?? {};
  const deniedBy = `admission webhook "${webhook}" denied the request`;
  const code = typeof status.code === 'number' && status.code >= 400 ? status.code : 400;
  const message = typeof status.message === 'string' && status.message ? status.message : '';
  const reason = typeof status.reason === 'string' ? status.reason : '';
  const text = message ? `${deniedBy}: ${message}` : reason ? `${deniedBy}: ${reason}` : `${deniedBy} without explanation`;
  return new ApiError(code, reason, text, isObj(status.details) ? (status.details as StatusDetails) : undefined);
}
