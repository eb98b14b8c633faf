/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition strategy, as upstream's: defaults
 * (conversion None, singular and listKind names), status on create (storedVersions), validation
 * of the main fields with upstream's paths and messages (names, group, scope, exactly one
 * storage version, a structural schema per version), and the served kinds a CRD defines.
 * Rows of defaults.ts's and validation.ts's tables. Pure.
 */
import { structuralErrors, type Schema } from './custom-schema.js';
import type { CustomVersion, ResourceType } from './resources.js';
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';
import { nameErrors } from './validation.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Removed from a CRD once its custom resources are gone (crd-controller.ts). */
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

function defaultSpec(crd: KubeObject): void {
  const spec = obj(crd.spec);
  crd.spec = spec;
  spec.conversion ??= { strategy: 'None' };
  const names = obj(spec.names);
  spec.names = names;
  if (typeof names.kind === 'string' && names.kind) {
    names.singular ??= names.kind.toLowerCase();
    names.listKind ??= `${names.kind}List`;
  }
}

const storageVersion = (crd: KubeObject): string | undefined => list(obj(crd.spec).versions).find((v) => v.storage === true)?.name as string | undefined;

/** A new CRD: defaults, a fresh status naming its storage version, and the cleanup finalizer. */
export function createCrd(crd: KubeObject): void {
  defaultSpec(crd);
  const stored = storageVersion(crd);
  crd.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: stored ? [stored] : [] };
  const finalizers = crd.metadata?.finalizers ?? [];
  if (!finalizers.includes(CLEANUP_FINALIZER)) crd.metadata = { ...crd.metadata, finalizers: [...finalizers, CLEANUP_FINALIZER] };
}

/** An update: defaults, and a new storage version joins status.storedVersions. */
export function updateCrd(crd: KubeObject, previous: KubeObject): void {
  defaultSpec(crd);
  const status = obj(crd.status ?? previous.status);
  const stored = storageVersion(crd);
  const versions = (Array.isArray(status.storedVersions) ? status.storedVersions : []) as string[];
  if (stored && !versions.includes(stored)) crd.status = { ...status, storedVersions: [...versions, stored] };
}

const required = (field: string): StatusCause => ({ reason: 'FieldValueRequired', field, message: 'Required value' });
const invalid = (field: string, value: unknown, message: string): StatusCause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${message}` });
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const dns1035 = (field: string, value: string): StatusCause[] =>
  DNS1035.test(value) && value.length <= 63 ? [] : [invalid(field, value, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")];

function namesCauses(names: Obj): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['plural', 'kind', 'listKind']) {
    const value = names[field];
    if (typeof value !== 'string' || value === '') causes.push(required(`spec.names.${field}`));
  }
  if (typeof names.plural === 'string' && names.plural) causes.push(...dns1035('spec.names.plural', names.plural));
  if (typeof names.singular === 'string' && names.singular) causes.push(...dns1035('spec.names.singular', names.singular));
  if (typeof names.kind === 'string' && names.kind) causes.push(...dns1035('spec.names.kind', names.kind.toLowerCase()));
  list(names.shortNames).forEach((s, i) => causes.push(...dns1035(`spec.names.shortNames[${i}]`, String(s))));
  return causes;
}

function versionCauses(versions: Obj[]): StatusCause[] {
  if (versions.length === 0) return [required('spec.versions')];
  const causes: StatusCause[] = [];
  const storage = versions.filter((v) => v.storage === true).length;
  if (storage !== 1) causes.push(invalid('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
  if (!versions.some((v) => v.served === true)) causes.push(invalid('spec.versions', versions.map((v) => v.name), 'must have at least one version marked as served'));
  versions.forEach((v, i) => {
    const path = `spec.versions[${i}]`;
    if (typeof v.name !== 'string' || v.name === '') causes.push(required(`${path}.name`));
    else causes.push(...dns1035(`${path}.name`, v.name));
    if (versions.findIndex((o) => o.name === v.name) !== i) causes.push({ reason: 'FieldValueDuplicate', field: `${path}.name`, message: `Duplicate value: ${JSON.stringify(v.name)}` });
    const schema = obj(v.schema).openAPIV3Schema;
    if (!schema || typeof schema !== 'object') causes.push({ reason: 'FieldValueRequired', field: `${path}.schema.openAPIV3Schema`, message: 'Required value: schemas are required' });
    else causes.push(...structuralErrors(schema as Schema, `${path}.schema.openAPIV3Schema`));
  });
  return causes;
}

/** Upstream's ValidateCustomResourceDefinition for the fields that decide what is served. */
export function validateCrd(crd: KubeObject): StatusCause[] {
  const spec = obj(crd.spec);
  const names = obj(spec.names);
  const causes: StatusCause[] = [];
  const group = spec.group;
  if (typeof group !== 'string' || group === '') causes.push(required('spec.group'));
  else {
    for (const msg of nameErrors(group, 'subdomain')) causes.push(invalid('spec.group', group, msg));
    if (!group.includes('.')) causes.push(invalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  const name = crd.metadata?.name ?? '';
  if (name && name !== `${String(names.plural)}.${String(group)}`) causes.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') {
    causes.push(spec.scope === undefined || spec.scope === '' ? required('spec.scope') : { reason: 'FieldValueNotSupported', field: 'spec.scope', message: `Unsupported value: ${JSON.stringify(spec.scope)}: supported values: "Cluster", "Namespaced"` });
  }
  const strategy = obj(spec.conversion).strategy;
  if (strategy !== 'None' && strategy !== 'Webhook') causes.push({ reason: 'FieldValueNotSupported', field: 'spec.conversion.strategy', message: `Unsupported value: ${JSON.stringify(strategy)}: supported values: "None", "Webhook"` });
  return [...causes, ...namesCauses(names), ...versionCauses(list(spec.versions))];
}

/** Scope and group may not change (upstream's ValidateCustomResourceDefinitionUpdate). */
export function validateCrdUpdate(crd: KubeObject, previous: KubeObject): StatusCause[] {
  const [now, before] = [obj(crd.spec), obj(previous.spec)];
  return (['group', 'scope'] as const).filter((f) => now[f] !== before[f]).map((f) => invalid(`spec.${f}`, now[f], 'field is immutable'));
}

/** Kubernetes' version order: GA, then beta, then alpha, higher numbers first, others last by name. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    return [m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x[3].localeCompare(y[3]);
}

/** The kinds an established CRD serves: one per served version, preferred version first. */
export function customTypes(crd: KubeObject): ResourceType[] {
  const spec = obj(crd.spec);
  const names = obj(spec.names);
  const served = list(spec.versions).filter((v) => v.served === true).sort((a, b) => compareVersions(String(a.name), String(b.name)));
  const versionNames = served.map((v) => String(v.name));
  return served.map((v) => {
    const subresources = obj(v.subresources);
    const scale = subresources.scale ? (obj(subresources.scale) as unknown as CustomVersion['scale']) : undefined;
    const custom: CustomVersion = {
      crd: crd.metadata?.name ?? '',
      schema: obj(obj(v.schema).openAPIV3Schema),
      columns: list(v.additionalPrinterColumns) as unknown as CustomVersion['columns'],
      ...(scale ? { scale } : {}),
      versions: versionNames,
    };
    return {
      group: String(spec.group),
      version: String(v.name),
      kind: String(names.kind),
      plural: String(names.plural),
      singular: String(names.singular ?? String(names.kind).toLowerCase()),
      namespaced: spec.scope === 'Namespaced',
      shortNames: list(names.shortNames).map(String),
      subresources: [...(subresources.status ? ['status'] : []), ...(scale ? ['scale'] : [])],
      etcdPrefix: `${String(spec.group)}/${String(names.plural)}`,
      verbs: CRUD,
      categories: list(names.categories).map(String),
      virtual: false,
      custom,
    };
  });
}
