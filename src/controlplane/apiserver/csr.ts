/**
 * CertificateSigningRequest `approval` and `status` updates, as upstream's strategies:
 * approval changes only the Approved/Denied/Failed conditions (never both Approved and
 * Denied, never removing one), status changes the certificate and the other conditions and
 * keeps the approval ones; an issued certificate cannot change. Pure.
 */
import { nowTimestamp } from './objects.js';
import { apiErrors, type StatusCause } from './status.js';
import type { KubeObject } from './storage.js';

type Condition = Record<string, unknown> & { type?: string; status?: string };
type Obj = Record<string, unknown>;

const APPROVAL_TYPES = new Set(['Approved', 'Denied']);
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const conditionsOf = (object: KubeObject | undefined): Condition[] => {
  const list = obj(object?.status).conditions;
  return Array.isArray(list) ? (list as Condition[]) : [];
};

function invalid(name: string, causes: StatusCause[]): never {
  throw apiErrors.invalid('CertificateSigningRequest', 'certificates.k8s.io', name, causes);
}

/** Defaults status and timestamps of each condition; carries lastTransitionTime over when the status did not change. */
function defaulted(conditions: Condition[], previous: Condition[]): Condition[] {
  const now = nowTimestamp();
  return conditions.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    const status = c.status || 'True';
    const transition = c.lastTransitionTime ?? (before && before.status === status ? before.lastTransitionTime : undefined) ?? now;
    return { ...c, status, lastUpdateTime: c.lastUpdateTime ?? now, lastTransitionTime: transition };
  });
}

function validateConditions(name: string, conditions: Condition[], previous: Condition[]): void {
  const causes: StatusCause[] = [];
  const field = 'status.conditions';
  const seen = new Set<string>();
  for (const c of conditions) {
    if (!c.type) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${field}.type` });
    else if (APPROVAL_TYPES.has(c.type) || c.type === 'Failed') {
      if (seen.has(c.type)) causes.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: "${c.type}"`, field: `${field}.type` });
      seen.add(c.type);
      if (APPROVAL_TYPES.has(c.type) && c.status !== 'True') causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: "${String(c.status)}": supported values: "True"`, field: `${field}.status` });
    }
  }
  if (seen.has('Approved') && seen.has('Denied')) causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: "Denied": Approved and Denied conditions are mutually exclusive', field: `${field}` });
  for (const type of APPROVAL_TYPES) {
    if (previous.some((p) => p.type === type) && !seen.has(type)) causes.push({ reason: 'FieldValueForbidden', message: `Forbidden: updates may not remove a condition of type "${type}"`, field });
  }
  if (causes.length > 0) invalid(name, causes);
}

/** The object an `approval` or `status` update of a CSR stores. */
export function mergeCsrSubresource(subresource: 'approval' | 'status', current: KubeObject, sent: KubeObject): KubeObject {
  const name = current.metadata?.name ?? '';
  const previous = conditionsOf(current);
  const wanted = conditionsOf(sent);
  const isApproval = (c: Condition) => APPROVAL_TYPES.has(String(c.type)) || c.type === 'Failed';
  const status = { ...obj(current.status) };
  if (subresource === 'approval') {
    const approval = defaulted(wanted.filter(isApproval), previous);
    validateConditions(name, approval, previous);
    status.conditions = [...approval, ...previous.filter((c) => !isApproval(c))];
  } else {
    const kept = previous.filter((c) => APPROVAL_TYPES.has(String(c.type)));
    const others = defaulted(wanted.filter((c) => !APPROVAL_TYPES.has(String(c.type))), previous);
    status.conditions = [...kept, ...others];
    const certificate = obj(sent.status).certificate;
    if (status.certificate && certificate !== status.certificate) {
      invalid(name, [{ reason: 'FieldValueForbidden', message: 'Forbidden: updates may not modify existing certificate content', field: 'status.certificate' }]);
    }
    if (certificate !== undefined) status.certificate = certificate;
  }
  if ((status.conditions as Condition[]).length === 0) delete status.conditions;
  return { ...current, status };
}
