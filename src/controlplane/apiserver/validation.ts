/**
 * Object validation with upstream's rules and messages: names (DNS-1123 subdomain or label,
 * path-segment names for RBAC), label keys and values, annotation size, required fields.
 * Returns Status causes; an empty list means valid. Pure.
 */
import { validateCronJob, validateJob } from './batch.js';
import { validatePodDisruptionBudget } from './eviction.js';
import { validateCrd } from './crd.js';
import { customCauses } from './custom-resources.js';
import { moreKind } from './more-kinds.js';
import { validateEndpointSlice } from './endpointslice-validation.js';
import type { StatusCause } from './status.js';
import type { ResourceType } from './resources.js';
import type { KubeObject } from './storage.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

type NameRule = 'label' | 'subdomain' | 'path';

/** Which name rule each resource uses upstream. */
const NAME_RULES: Record<string, NameRule> = {
  namespaces: 'label',
  services: 'label',
  roles: 'path',
  clusterroles: 'path',
  rolebindings: 'path',
  clusterrolebindings: 'path',
  nodes: 'subdomain',
};

export function nameErrors(name: string, rule: NameRule): string[] {
  if (rule === 'path') {
    if (name === '.' || name === '..') return [`may not be '${name}'`];
    const bad = ['/', '%'].filter((c) => name.includes(c));
    return bad.map((c) => `may not contain '${c}'`);
  }
  const [max, pattern, label] = rule === 'label' ? [63, DNS1123_LABEL, 'RFC 1123 label'] : [253, DNS1123_SUBDOMAIN, 'RFC 1123 subdomain'];
  const errors: string[] = [];
  if (name.length > max) errors.push(`must be no more than ${max} characters`);
  if (!pattern.test(name)) {
    errors.push(
      `a lowercase ${label} must consist of lower case alphanumeric characters, '-'${rule === 'subdomain' ? " or '.'" : ''}, and must start and end with an alphanumeric character`,
    );
  }
  return errors;
}

export function labelKeyErrors(key: string): string[] {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
  const errors: string[] = [];
  if (prefix !== undefined && (prefix.length === 0 || nameErrors(prefix, 'subdomain').length > 0)) errors.push('prefix part must be a lowercase RFC 1123 subdomain');
  if (name.length === 0 || name.length > 63) errors.push('name part must be non-empty and no more than 63 characters');
  if (!QUALIFIED_NAME.test(name)) errors.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  return errors;
}

export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) errors.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  return errors;
}

const cause = (field: string, message: string, reason = 'FieldValueInvalid'): StatusCause => ({ reason, message, field });

/** Validates an object about to be stored. */
export function validateObject(type: ResourceType, object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const meta = object.metadata ?? {};
  const name = meta.name ?? '';
  if (!name) causes.push(cause('metadata.name', 'Required value: name or generateName is required', 'FieldValueRequired'));
  else {
    for (const msg of nameErrors(name, NAME_RULES[type.plural] ?? 'subdomain')) causes.push(cause('metadata.name', `Invalid value: "${name}": ${msg}`));
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    for (const msg of labelKeyErrors(key)) causes.push(cause('metadata.labels', `Invalid value: "${key}": ${msg}`));
    if (typeof value !== 'string') causes.push(cause(`metadata.labels`, `Invalid value: label "${key}" must be a string`));
    else for (const msg of labelValueErrors(value)) causes.push(cause('metadata.labels', `Invalid value: "${value.slice(0, 80)}": ${msg}`));
  }
  for (const key of Object.keys(meta.annotations ?? {})) {
    for (const msg of labelKeyErrors(key)) causes.push(cause('metadata.annotations', `Invalid value: "${key}": ${msg}`));
  }
  const annotationBytes = Object.entries(meta.annotations ?? {}).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
  if (annotationBytes > 256 * 1024) causes.push(cause('metadata.annotations', 'Too long: must have at most 262144 bytes', 'FieldValueTooLong'));
  causes.push(...kindSpecific(type, object));
  return causes;
}

function kindSpecific(type: ResourceType, object: KubeObject): StatusCause[] {
  if (type.custom) return customCauses(type, object);
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  switch (type.kind) {
    case 'CertificateSigningRequest':
      return [
        ...(spec.request ? [] : [cause('spec.request', 'Required value', 'FieldValueRequired')]),
        ...(spec.signerName ? [] : [cause('spec.signerName', 'Required value', 'FieldValueRequired')]),
      ];
    case 'Pod':
      return Array.isArray(spec.containers) && spec.containers.length > 0 ? [] : [cause('spec.containers', 'Required value', 'FieldValueRequired')];
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'StatefulSet':
      return spec.selector && spec.template ? [] : [cause('spec.selector', 'Required value', 'FieldValueRequired')];
    case 'Job':
      return validateJob(object);
    case 'CronJob':
      return validateCronJob(object);
    case 'PodDisruptionBudget':
      return validatePodDisruptionBudget(object);
    case 'CustomResourceDefinition':
      return validateCrd(object);
    case 'EndpointSlice':
      return validateEndpointSlice(object);
    case 'PriorityClass':
      return typeof object.value === 'number' ? [] : [cause('value', 'Required value', 'FieldValueRequired')];
    default:
      return moreKind(type.kind)?.validate?.(object) ?? [];
  }
}
