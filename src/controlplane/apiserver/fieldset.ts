/**
 * Field sets of server-side apply (structured-merge-diff's fieldpath.Set): the paths of an
 * object's values as managedFields records them in `fieldsV1` (`f:<field>`, `k:<keys>` for
 * an item of a map list, `v:<value>` for an item of a set, `.` for an item that has children),
 * derived from an object and its schema (apply-schema.ts); the values at a path; merging an
 * applied configuration into an object; and removing a path. Pure.
 */
import { isAtomic, structType, type FieldType } from './apply-schema.js';
import { apiErrors } from './status.js';

type Obj = Record<string, unknown>;
export type FieldPath = readonly string[];
/** Member paths keyed by their elements joined with SEP. */
export type FieldSet = Map<string, FieldPath>;

const SEP = '\u0001';
export const pathKey = (path: FieldPath): string => path.join(SEP);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with sorted object keys, so equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObj(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** Upstream's OpenAPI v3 defaults a port's protocol (a list-map key) to TCP; v2 does not say so. */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

/** The `k:` element of a map-list item: its key fields, sorted, as JSON. */
export function itemKey(item: unknown, keys: readonly string[]): string {
  const fields = isObj(item) ? item : {};
  const key: Obj = {};
  for (const k of [...keys].sort()) {
    const value = fields[k] ?? KEY_DEFAULTS[k];
    if (value !== undefined) key[k] = value;
  }
  return `k:${JSON.stringify(key)}`;
}

const childType = (type: FieldType, field: string): FieldType | undefined => {
  if (type.k === 'map') return type.of;
  if (type.k === 'struct') return structType(type.def)?.fields.get(field);
  if (type.k === 'object') return type.fields.get(field) ?? type.rest;
  return undefined;
};

/**
 * Every member path of `value`: its leaves (scalars, atomic values, empty objects) and the
 * items of set and map lists. Unknown fields are collected in `unknown` as `.a.b` paths.
 */
export function fieldsOf(value: unknown, type: FieldType, unknown: string[] = [], prefix: FieldPath = [], out: FieldSet = new Map()): FieldSet {
  const add = (path: FieldPath) => out.set(pathKey(path), path);
  if (value === null || value === undefined || isAtomic(type)) {
    if (prefix.length > 0) add(prefix);
    return out;
  }
  if (type.k === 'list') {
    if (!Array.isArray(value)) return (add(prefix), out);
    for (const item of value) {
      if (type.list === 'set') {
        add([...prefix, `v:${JSON.stringify(item)}`]);
        continue;
      }
      const itemPath = [...prefix, itemKey(item, type.keys)];
      add(itemPath);
      fieldsOf(item, type.of, unknown, itemPath, out);
    }
    return out;
  }
  if (!isObj(value)) return (add(prefix), out);
  const entries = Object.entries(value);
  if (entries.length === 0 && prefix.length > 0) add(prefix);
  for (const [field, child] of entries) {
    const t = childType(type, field);
    const path = [...prefix, `f:${field}`];
    if (!t) {
      unknown.push(path.map(display).join(''));
      continue;
    }
    fieldsOf(child, t, unknown, path, out);
  }
  return out;
}

/** One path element as upstream prints paths: `.field`, `[name="x"]`, `[="v"]`. */
function display(element: string): string {
  const body = element.slice(2);
  if (element.startsWith('f:')) return `.${body}`;
  if (element.startsWith('v:')) return `[=${body}]`;
  if (element.startsWith('k:')) {
    const key = JSON.parse(body) as Obj;
    return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
  }
  return `[${body}]`;
}

export const displayPath = (path: FieldPath): string => path.map(display).join('');

function findItem(list: unknown[], element: string, type: FieldType): number {
  if (element.startsWith('v:')) return list.findIndex((item) => JSON.stringify(item) === element.slice(2));
  const keys = type.k === 'list' ? type.keys : [];
  return list.findIndex((item) => itemKey(item, keys) === element);
}

/** The value at `path` (undefined when absent). */
export function valueAt(value: unknown, path: FieldPath, type: FieldType): unknown {
  let node = value;
  let t: FieldType | undefined = type;
  for (const element of path) {
    if (node === undefined || t === undefined) return undefined;
    if (element.startsWith('f:')) {
      if (!isObj(node)) return undefined;
      node = node[element.slice(2)];
      t = childType(t, element.slice(2));
    } else {
      if (!Array.isArray(node)) return undefined;
      node = node[findItem(node, element, t)];
      t = t.k === 'list' ? t.of : undefined;
    }
  }
  return node;
}

/** Deletes the value at `path` from `value` (in place); absent paths are ignored. */
export function removePath(value: unknown, path: FieldPath, type: FieldType): void {
  const parent = valueAt(value, path.slice(0, -1), type);
  const last = path.at(-1) as string;
  if (last.startsWith('f:')) {
    if (isObj(parent)) delete parent[last.slice(2)];
    return;
  }
  if (!Array.isArray(parent)) return;
  let parentType: FieldType | undefined = type;
  for (const element of path.slice(0, -1)) parentType = parentType && (element.startsWith('f:') ? childType(parentType, element.slice(2)) : parentType.k === 'list' ? parentType.of : undefined);
  const index = parentType ? findItem(parent, last, parentType) : -1;
  if (index >= 0) parent.splice(index, 1);
}

/** Applies `applied` over `live` as server-side apply merges: by field, by list-map key, as a set, or whole. */
export function mergeApplied(live: unknown, applied: unknown, type: FieldType): unknown {
  if (applied === undefined) return structuredClone(live);
  if (live === undefined || live === null || applied === null || isAtomic(type)) return structuredClone(applied);
  if (type.k === 'list') {
    if (!Array.isArray(live) || !Array.isArray(applied)) return structuredClone(applied);
    const result = structuredClone(live);
    for (const item of applied) {
      const element = type.list === 'set' ? `v:${JSON.stringify(item)}` : itemKey(item, type.keys);
      const index = findItem(result, element, type);
      if (index < 0) result.push(structuredClone(item));
      else if (type.list === 'map') result[index] = mergeApplied(result[index], item, type.of);
    }
    return result;
  }
  if (!isObj(live) || !isObj(applied)) return structuredClone(applied);
  const result: Obj = { ...live };
  for (const [field, value] of Object.entries(applied)) {
    const t = childType(type, field);
    result[field] = t ? mergeApplied(live[field], value, t) : structuredClone(value);
  }
  return result;
}

type FieldsV1 = { [element: string]: FieldsV1 };

/** The `fieldsV1` tree of a set, its elements sorted as upstream writes them. */
export function encodeFields(set: FieldSet): FieldsV1 {
  type Node = { member: boolean; children: Map<string, Node> };
  const root: Node = { member: false, children: new Map() };
  for (const path of set.values()) {
    let node = root;
    for (const element of path) {
      let child = node.children.get(element);
      if (!child) node.children.set(element, (child = { member: false, children: new Map() }));
      node = child;
    }
    node.member = true;
  }
  const encode = (node: Node): FieldsV1 => {
    const out: FieldsV1 = {};
    if (node.member && node.children.size > 0) out['.'] = {};
    for (const element of [...node.children.keys()].sort()) out[element] = encode(node.children.get(element) as Node);
    return out;
  };
  return encode(root);
}

/** The set a `fieldsV1` tree records; 400 when it is not one. */
export function decodeFields(tree: unknown, prefix: FieldPath = [], out: FieldSet = new Map()): FieldSet {
  if (!isObj(tree)) throw apiErrors.badRequest('metadata.managedFields: fieldsV1 must be an object');
  const entries = Object.entries(tree);
  if (entries.length === 0 && prefix.length > 0) out.set(pathKey(prefix), prefix);
  for (const [element, child] of entries) {
    if (element === '.') {
      out.set(pathKey(prefix), prefix);
      continue;
    }
    if (!/^[fkvi]:/.test(element)) throw apiErrors.badRequest(`metadata.managedFields: invalid field path element "${element}"`);
    decodeFields(child, [...prefix, element], out);
  }
  return out;
}
