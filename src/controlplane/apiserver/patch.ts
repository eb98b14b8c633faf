/**
 * PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge
 * patch (merge patch where known lists merge by key: containers by name, conditions by
 * type, …; `$patch` and `$setElementOrder`/`$retainKeys` directives). Pure. Keys are data:
 * paths and merges only follow and write own properties (safe-keys.ts), so `/__proto__/x` is a
 * path that does not exist (422, as upstream's json-patch answers) and a `__proto__` key in a
 * merge patch is stored as a key.
 */
import { lookup, own, setOwn } from '../../safe-keys.js';
import { ApiError } from './status.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setOwn(result, key, mergePatch((own(result, key) as Json | undefined) ?? null, value));
  }
  return result;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** An array index as RFC 6901 writes it (digits, no leading zero), or NaN. */
const arrayIndex = (part: string): number => (/^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : NaN);

/** The child a pointer segment names: an element or an own property, never an inherited one. */
function child(node: Json, part: string): Json | undefined {
  if (Array.isArray(node)) return node[arrayIndex(part)];
  return isObject(node) ? (own(node, part) as Json | undefined) : undefined;
}

function parentOf(doc: Json, parts: string[]): { parent: JsonObject | Json[]; key: string } {
  let node: Json = doc;
  for (const part of parts.slice(0, -1)) {
    const next = child(node, part);
    if (next === undefined || next === null || typeof next !== 'object') throw new ApiError(422, 'Invalid', `jsonpatch: path /${parts.join('/')} does not exist`);
    node = next;
  }
  if (node === null || typeof node !== 'object') throw new ApiError(422, 'Invalid', `jsonpatch: path /${parts.join('/')} does not exist`);
  return { parent: node, key: parts.at(-1) as string };
}

function getAt(doc: Json, path: string): Json {
  const parts = pointer(path);
  if (parts.length === 0) return doc;
  const { parent, key } = parentOf(doc, parts);
  const value = child(parent, key);
  if (value === undefined) throw new ApiError(422, 'Invalid', `jsonpatch: path ${path} does not exist`);
  return value;
}

function removeAt(doc: Json, path: string): Json {
  const { parent, key } = parentOf(doc, pointer(path));
  if (Array.isArray(parent)) {
    const index = arrayIndex(key);
    if (!(index >= 0 && index < parent.length)) throw new ApiError(422, 'Invalid', `jsonpatch: remove index ${key} out of range`);
    return parent.splice(index, 1)[0] as Json;
  }
  if (!Object.hasOwn(parent, key)) throw new ApiError(422, 'Invalid', `jsonpatch: remove path ${path} does not exist`);
  const value = parent[key] as Json;
  delete parent[key];
  return value;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const parts = pointer(path);
  if (parts.length === 0) return value;
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : arrayIndex(key);
    if (!(index >= 0 && index <= parent.length)) throw new ApiError(422, 'Invalid', `jsonpatch: index ${key} out of range`);
    parent.splice(index, replace ? 1 : 0, value);
  } else {
    if (replace && !Object.hasOwn(parent, key)) throw new ApiError(422, 'Invalid', `jsonpatch: replace path ${path} does not exist`);
    setOwn(parent, key, value);
  }
  return doc;
}

export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new ApiError(400, 'BadRequest', 'json patch must be an array of operations');
  let doc = clone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw new ApiError(400, 'BadRequest', 'json patch operation needs "op" and "path"');
    const value = clone(op.value ?? null);
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, value, false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, value, true);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'move':
      case 'copy': {
        const from = String(op.from ?? '');
        const moved = op.op === 'move' ? removeAt(doc, from) : clone(getAt(doc, from));
        doc = addAt(doc, op.path, moved, false);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, op.path)) !== JSON.stringify(op.value)) throw new ApiError(422, 'Invalid', `jsonpatch: test operation failed at ${op.path}`);
        break;
      default:
        throw new ApiError(400, 'BadRequest', `unknown json patch operation "${op.op}"`);
    }
  }
  return doc;
}

/** Fields whose lists merge by key in strategic merge patch (upstream's patchMergeKey tags). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  env: 'name',
  ports: 'containerPort',
  conditions: 'type',
  imagePullSecrets: 'name',
  tolerations: 'key',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  addresses: 'type',
  topologySpreadConstraints: 'topologyKey',
};
/** Primitive lists that merge as sets. */
const SET_LISTS = new Set(['finalizers']);

function strategicList(field: string, target: Json[], patch: Json[]): Json[] {
  const key = lookup(MERGE_KEYS, field);
  if (SET_LISTS.has(field)) return [...target, ...patch.filter((v) => !target.includes(v))];
  if (!key) return clone(patch.filter((v) => !(isObject(v) && v.$patch === 'replace')));
  const result = clone(target);
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = result.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = strategicMerge(result[index] as Json, item);
    else result.push(strategicMerge({}, item));
  }
  return result;
}

export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return null;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) continue;
    const current = own(result, key) as Json | undefined;
    if (value === null) delete result[key];
    else if (Array.isArray(value)) setOwn(result, key, strategicList(key, Array.isArray(current) ? current : [], value));
    else setOwn(result, key, strategicMerge(current ?? null, value));
  }
  for (const [key, value] of Object.entries(patch)) {
    const m = /^\$deleteFromPrimitiveList\/(.+)$/.exec(key);
    const list = m ? own(result, m[1] as string) : undefined;
    if (m && Array.isArray(value) && Array.isArray(list)) setOwn(result, m[1] as string, (list as Json[]).filter((v) => !value.includes(v)));
  }
  if (retain) for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  return result;
}

export const PATCH_TYPES = {
  'application/json-patch+json': jsonPatch,
  'application/merge-patch+json': mergePatch,
  'application/strategic-merge-patch+json': strategicMerge,
} as const;

export type PatchType = keyof typeof PATCH_TYPES;

export function applyPatch(type: string, target: unknown, patch: unknown): unknown {
  const fn = lookup(PATCH_TYPES as Record<string, (t: Json, p: Json) => Json>, type);
  if (!fn) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`);
  return fn(target as Json, patch as Json);
}
