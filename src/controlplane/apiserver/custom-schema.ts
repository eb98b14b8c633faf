/**
 * A CustomResourceDefinition's structural OpenAPI v3 schema at work, as upstream's
 * apiextensions-apiserver uses it: the structural check of a CRD's schema (schema/validation.go,
 * with its messages), pruning of unknown fields, defaulting, validation of a custom resource
 * (types, required, enum, pattern, bounds, lengths, items; kube-openapi's messages), and the
 * schema as server-side apply's FieldType. Pure.
 */
import type { FieldType } from './apply-schema.js';
import type { StatusCause } from './status.js';

type Obj = Record<string, unknown>;
export type Schema = Readonly<Obj>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const props = (s: Schema): Record<string, Schema> => (isObj(s.properties) ? (s.properties as Record<string, Schema>) : {});
const itemsOf = (s: Schema): Schema | undefined => (isObj(s.items) ? (s.items as Schema) : undefined);
const additional = (s: Schema): Schema | undefined => (isObj(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined);
const preserves = (s: Schema) => s['x-kubernetes-preserve-unknown-fields'] === true;
const intOrString = (s: Schema) => s['x-kubernetes-int-or-string'] === true;

const required = (field: string, message: string): StatusCause => ({ reason: 'FieldValueRequired', field, message: `Required value: ${message}` });
const forbidden = (field: string, message: string): StatusCause => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` });
const invalid = (field: string, value: unknown, message: string): StatusCause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${message}` });

type Level = 'root' | 'item' | 'field';

/** What a schema under anyOf/allOf/oneOf/not may not say (upstream's validateNestedValueValidation). */
const NESTED_FORBIDDEN: Array<[string, string]> = [
  ['type', 'must be empty to be structural'],
  ['additionalProperties', 'must be undefined to be structural'],
  ['default', 'must be undefined to be structural'],
  ['title', 'must be empty to be structural'],
  ['description', 'must be empty to be structural'],
  ['nullable', 'must be false to be structural'],
  ['x-kubernetes-preserve-unknown-fields', 'must be false to be structural'],
  ['x-kubernetes-int-or-string', 'must be false to be structural'],
  ['x-kubernetes-list-type', 'must be undefined to be structural'],
  ['x-kubernetes-map-type', 'must be undefined to be structural'],
];

function nestedErrors(s: Schema, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [key, message] of NESTED_FORBIDDEN) if (s[key] !== undefined && s[key] !== false && s[key] !== '') out.push(forbidden(`${path}.${key}`, message));
  if ('metadata' in props(s)) out.push(forbidden(`${path}.properties[metadata]`, 'must not be specified in a nested context'));
  for (const [k, v] of Object.entries(props(s))) out.push(...nestedErrors(v, `${path}.properties[${k}]`));
  const items = itemsOf(s);
  if (items) out.push(...nestedErrors(items, `${path}.items`));
  return out.concat(junctorErrors(s, path));
}

const isIntOrStringPair = (list: unknown) => Array.isArray(list) && list.length === 2 && (list[0] as Obj)?.type === 'integer' && (list[1] as Obj)?.type === 'string';

function junctorErrors(s: Schema, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const junctor of ['anyOf', 'allOf', 'oneOf']) {
    const list = s[junctor];
    if (!Array.isArray(list) || (junctor === 'anyOf' && isIntOrStringPair(list))) continue;
    list.forEach((nested, i) => {
      if (junctor === 'allOf' && i === 0 && isIntOrStringPair((nested as Obj)?.anyOf)) return;
      if (isObj(nested)) out.push(...nestedErrors(nested, `${path}.${junctor}[${i}]`));
    });
  }
  if (isObj(s.not)) out.push(...nestedErrors(s.not, `${path}.not`));
  return out;
}

function structuralAt(s: Schema, level: Level, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (s.type === 'array' && !itemsOf(s)) out.push(required(`${path}.items`, 'must be specified'));
  const items = itemsOf(s);
  if (items) out.push(...structuralAt(items, 'item', `${path}.items`));
  for (const [k, v] of Object.entries(props(s))) if (isObj(v)) out.push(...structuralAt(v, 'field', `${path}.properties[${k}]`));
  const extra = additional(s);
  if (s.additionalProperties !== undefined && level === 'root') out.push(forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
  if (extra) out.push(...structuralAt(extra, 'field', `${path}.additionalProperties`));
  if (s.additionalProperties !== undefined && s.properties !== undefined) out.push(forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  if (intOrString(s) && preserves(s)) out.push(invalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  out.push(...junctorErrors(s, path));
  if (typeof s.pattern === 'string') {
    try {
      new RegExp(s.pattern, 'u');
    } catch (err) {
      out.push(invalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${(err as Error).message}`));
    }
  }
  if (!s.type && !intOrString(s) && !preserves(s)) {
    out.push(required(`${path}.type`, level === 'root' ? 'must not be empty at the root' : level === 'item' ? 'must not be empty for specified array items' : 'must not be empty for specified object fields'));
  }
  if (level === 'root' && s.type && s.type !== 'object') out.push(invalid(`${path}.type`, s.type, 'must be object at the root'));
  const meta = props(s).metadata;
  if (level === 'root' && meta) {
    const { type: _t, properties, ...rest } = meta;
    const names = Object.keys(isObj(properties) ? properties : {});
    if (Object.keys(rest).length > 0 || names.some((n) => n !== 'name' && n !== 'generateName')) {
      out.push(forbidden(`${path}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  return out;
}

/** Upstream's structural check of a CRD's schema; causes at `path` (spec.versions[i].schema.openAPIV3Schema). */
export function structuralErrors(schema: Schema, path: string): StatusCause[] {
  return structuralAt(schema, 'root', path).sort((a, b) => `${a.field}: ${a.message}`.localeCompare(`${b.field}: ${b.message}`));
}

// ---- pruning and defaulting -----------------------------------------------------------

const ROOT_KEPT = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Removes the fields the schema does not specify (where it does not preserve unknown fields),
 * in place; returns their paths (`spec.x`), which ?fieldValidation=Strict refuses.
 */
export function prune(value: unknown, s: Schema, path = '', root = true): string[] {
  const pruned: string[] = [];
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    if (items) value.forEach((item, i) => pruned.push(...prune(item, items, `${path}[${i}]`, false)));
    return pruned;
  }
  if (!isObj(value) || s['x-kubernetes-embedded-resource'] === true) return pruned;
  const known = props(s);
  const extra = additional(s);
  for (const [k, v] of Object.entries(value)) {
    const child = path ? `${path}.${k}` : k;
    if (root && ROOT_KEPT.has(k)) continue;
    const fieldSchema = known[k] ?? extra;
    if (fieldSchema) pruned.push(...prune(v, fieldSchema, child, false));
    else if (!preserves(s) && s.additionalProperties !== true) {
      delete value[k];
      pruned.push(child);
    }
  }
  return pruned;
}

/** Fills `default`s of the schema where a field is absent, in place (upstream's structural defaulting). */
export function applyDefaults(value: unknown, s: Schema): void {
  if (Array.isArray(value)) {
    const items = itemsOf(s);
    if (items) for (const item of value) applyDefaults(item, items);
    return;
  }
  if (!isObj(value)) return;
  for (const [k, fieldSchema] of Object.entries(props(s))) {
    if (value[k] === undefined && fieldSchema.default !== undefined) value[k] = structuredClone(fieldSchema.default);
    if (value[k] !== undefined) applyDefaults(value[k], fieldSchema);
  }
  const extra = additional(s);
  if (extra) for (const k of Object.keys(value)) if (!(k in props(s))) applyDefaults(value[k], extra);
}

// ---- validation -----------------------------------------------------------------------

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const typeMatches = (want: string, v: unknown) => {
  const got = jsonType(v);
  return got === want || (want === 'number' && got === 'integer');
};

/** kube-openapi's messages for one value against its schema, then its children's. */
function validateAt(v: unknown, s: Schema, path: string, out: StatusCause[]): void {
  if (v === null && s.nullable === true) return;
  if (intOrString(s)) {
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) out.push({ reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: ${JSON.stringify(jsonType(v))}: ${path} in body must be of type integer,string: ${JSON.stringify(jsonType(v))}` });
    return;
  }
  const want = typeof s.type === 'string' ? s.type : undefined;
  if (want && !typeMatches(want, v)) {
    out.push({ reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: ${JSON.stringify(jsonType(v))}: ${path} in body must be of type ${want}: ${JSON.stringify(jsonType(v))}` });
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    out.push({ reason: 'FieldValueNotSupported', field: path, message: `Unsupported value: ${JSON.stringify(v)}: supported values: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if (typeof v === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) out.push(invalid(path, v, `${path} in body should match '${s.pattern}'`));
    if (typeof s.minLength === 'number' && [...v].length < s.minLength) out.push(invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`));
    if (typeof s.maxLength === 'number' && [...v].length > s.maxLength) out.push({ reason: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${s.maxLength} bytes` });
  }
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && (s.exclusiveMinimum === true ? v <= s.minimum : v < s.minimum)) out.push(invalid(path, v, `${path} in body should be greater than ${s.exclusiveMinimum === true ? '' : 'or equal to '}${s.minimum}`));
    if (typeof s.maximum === 'number' && (s.exclusiveMaximum === true ? v >= s.maximum : v > s.maximum)) out.push(invalid(path, v, `${path} in body should be less than ${s.exclusiveMaximum === true ? '' : 'or equal to '}${s.maximum}`));
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0 && (v / s.multipleOf) % 1 !== 0) out.push(invalid(path, v, `${path} in body should be a multiple of ${s.multipleOf}`));
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) out.push(invalid(path, v.length, `${path} in body should have at least ${s.minItems} items`));
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) out.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
    const items = itemsOf(s);
    if (items) v.forEach((item, i) => validateAt(item, items, `${path}[${i}]`, out));
  }
  if (isObj(v)) {
    for (const field of Array.isArray(s.required) ? (s.required as string[]) : []) {
      if (v[field] === undefined) out.push({ reason: 'FieldValueRequired', field: path ? `${path}.${field}` : field, message: 'Required value' });
    }
    if (typeof s.minProperties === 'number' && Object.keys(v).length < s.minProperties) out.push(invalid(path, Object.keys(v).length, `${path} in body should have at least ${s.minProperties} properties`));
    if (typeof s.maxProperties === 'number' && Object.keys(v).length > s.maxProperties) out.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${Object.keys(v).length}: must have at most ${s.maxProperties} items` });
    const known = props(s);
    const extra = additional(s);
    for (const [k, child] of Object.entries(v)) {
      if (!path && ROOT_KEPT.has(k)) continue;
      const childSchema = known[k] ?? extra;
      if (childSchema) validateAt(child, childSchema, path ? `${path}.${k}` : k, out);
    }
  }
}

/** The causes of a custom resource that its version's schema refuses (metadata is validated as every object's). */
export function validateCustom(object: unknown, s: Schema): StatusCause[] {
  const out: StatusCause[] = [];
  validateAt(object, s, '', out);
  return out;
}

// ---- server-side apply ----------------------------------------------------------------

const OBJECT_META: FieldType = { k: 'struct', def: 'apimachinery.pkg.apis.meta.v1.ObjectMeta' };
const SCALAR: FieldType = { k: 'scalar' };
const ANY: FieldType = { k: 'any' };

function fieldTypeAt(s: Schema): FieldType {
  if (s.type === 'array') {
    const of = itemsOf(s) ? fieldTypeAt(itemsOf(s) as Schema) : ANY;
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'map') return { k: 'list', list: 'map', keys: (s['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [], of };
    return { k: 'list', list: listType === 'set' ? 'set' : 'atomic', keys: [], of };
  }
  if (s.type === 'object' || s.properties !== undefined || s.additionalProperties !== undefined) {
    const extra = additional(s);
    const atomic = s['x-kubernetes-map-type'] === 'atomic';
    if (extra && s.properties === undefined) return { k: 'map', atomic, of: fieldTypeAt(extra) };
    if (s.properties === undefined) return preserves(s) ? ANY : { k: 'map', atomic, of: ANY };
    const fields = new Map(Object.entries(props(s)).map(([k, v]) => [k, fieldTypeAt(v)] as const));
    return { k: 'object', atomic, fields, ...(preserves(s) || s.additionalProperties === true ? { rest: ANY } : {}) };
  }
  return preserves(s) ? ANY : SCALAR;
}

const fieldTypes = new WeakMap<Schema, FieldType>();

/** A custom resource's type for managedFields: its schema, with type meta and ObjectMeta at the root. */
export function customFieldType(s: Schema): FieldType {
  const cached = fieldTypes.get(s);
  if (cached) return cached;
  const root = fieldTypeAt({ ...s, type: 'object', properties: props(s) });
  const fields = new Map(root.k === 'object' ? root.fields : []);
  fields.set('apiVersion', SCALAR).set('kind', SCALAR).set('metadata', OBJECT_META);
  const type: FieldType = { k: 'object', atomic: false, fields, ...(root.k === 'object' && root.rest ? { rest: root.rest } : {}) };
  fieldTypes.set(s, type);
  return type;
}
