/**
 * The structure of built-in kinds for server-side apply, read from the generated table of
 * upstream's OpenAPI (openapi-schemas.ts): which fields a kind has, which values are atomic,
 * and how each list merges (atomic, set, or map keyed by x-kubernetes-list-map-keys).
 * Definitions are parsed on first use. Pure.
 */
import { DEFINITIONS, KIND_DEFINITIONS } from './openapi-schemas.js';

export type FieldType =
  | { readonly k: 'scalar' }
  /** Untyped JSON (RawExtension, free-form objects): atomic, any shape. */
  | { readonly k: 'any' }
  | { readonly k: 'struct'; readonly def: string }
  /** A struct given inline (a custom resource's schema, custom-schema.ts); `rest` types fields it does not name. */
  | { readonly k: 'object'; readonly atomic: boolean; readonly fields: ReadonlyMap<string, FieldType>; readonly rest?: FieldType }
  | { readonly k: 'map'; readonly atomic: boolean; readonly of: FieldType }
  | { readonly k: 'list'; readonly list: 'atomic' | 'set' | 'map'; readonly keys: readonly string[]; readonly of: FieldType };

export interface StructType {
  readonly atomic: boolean;
  readonly fields: ReadonlyMap<string, FieldType>;
}

const SCALAR: FieldType = { k: 'scalar' };
const ANY: FieldType = { k: 'any' };

/** Parses one type expression of the table; returns it and where it ended. */
function parseType(text: string, at: number): [FieldType, number] {
  const c = text[at];
  if (c !== undefined && 'sinboqt'.includes(c)) return [SCALAR, at + 1];
  if (c === 'x') return [ANY, at + 1];
  if (c === '@') {
    let end = at + 1;
    while (end < text.length && text[end] !== '}') end++;
    return [{ k: 'struct', def: text.slice(at + 1, end) }, end];
  }
  if (c === '{') {
    const atomic = text[at + 1] === '!';
    const [of, end] = parseType(text, at + (atomic ? 2 : 1));
    return [{ k: 'map', atomic, of }, end + 1];
  }
  if (c === '[') {
    const close = text.indexOf(']', at);
    const spec = text.slice(at + 1, close);
    const [of, end] = parseType(text, close + 1);
    if (spec.startsWith('m:')) return [{ k: 'list', list: 'map', keys: spec.slice(2).split(','), of }, end];
    return [{ k: 'list', list: spec === 's' ? 'set' : 'atomic', keys: [], of }, end];
  }
  throw new Error(`bad type expression at ${at} of ${text}`);
}

const structs = new Map<string, StructType>();

export function structType(def: string): StructType | undefined {
  const cached = structs.get(def);
  if (cached) return cached;
  const text = DEFINITIONS[def];
  if (text === undefined) return undefined;
  const atomic = text.startsWith('!');
  const fields = new Map<string, FieldType>();
  for (const entry of (atomic ? text.slice(1) : text).split(';')) {
    const space = entry.indexOf(' ');
    fields.set(entry.slice(0, space), parseType(entry, space + 1)[0]);
  }
  const parsed = { atomic, fields };
  structs.set(def, parsed);
  return parsed;
}

/** The type of a kind's objects, or undefined for a kind upstream's OpenAPI does not describe. */
export function kindType(apiVersion: string, kind: string): FieldType | undefined {
  const def = KIND_DEFINITIONS[`${apiVersion}/${kind}`];
  return def ? { k: 'struct', def } : undefined;
}

/** A value's type when it is treated as one leaf: scalars, untyped JSON, atomic lists, maps and structs. */
export function isAtomic(type: FieldType): boolean {
  if (type.k === 'scalar' || type.k === 'any') return true;
  if (type.k === 'map') return type.atomic;
  if (type.k === 'list') return type.list === 'atomic';
  if (type.k === 'object') return type.atomic;
  return structType(type.def)?.atomic ?? true;
}
