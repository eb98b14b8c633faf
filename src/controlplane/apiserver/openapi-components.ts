/**
 * The OpenAPI v3 component schemas of served kinds, complete to every nested field (so
 * `kubectl explain deployment.spec.template.spec.containers.ports` works), built from the
 * generated structure table (openapi-schemas.ts) and its descriptions (openapi-docs.ts, passed
 * in: it is loaded only when a document is served). Names are upstream's (io.k8s.api.apps.v1.Deployment).
 * Pure.
 */
import { DEFINITIONS, KIND_DEFINITIONS } from './openapi-schemas.js';

export type Docs = Readonly<Record<string, readonly [string, readonly string[], Readonly<Record<string, string>>]>>;
type Schema = Record<string, unknown>;

export const componentName = (def: string): string => `io.k8s.${def}`;

/** The definition of a kind (`apps/v1`, `Deployment`), if upstream's OpenAPI has one. */
export function kindDefinition(apiVersion: string, kind: string): string | undefined {
  return KIND_DEFINITIONS[`${apiVersion}/${kind}`];
}

const INT_OR_STRING = { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
const SCALARS: Record<string, Schema> = {
  s: { type: 'string' },
  i: { type: 'integer', format: 'int64' },
  n: { type: 'number', format: 'double' },
  b: { type: 'boolean' },
  t: { type: 'string', format: 'date-time' },
  o: INT_OR_STRING,
  q: INT_OR_STRING,
  x: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
};

/** One type expression of the table as a schema; `refs` collects the definitions it names. */
function schemaOf(text: string, refs: Set<string>): Schema {
  const c = text[0] as string;
  if (SCALARS[c]) return { ...SCALARS[c] };
  if (c === '@') {
    refs.add(text.slice(1));
    return { allOf: [{ $ref: `#/components/schemas/${componentName(text.slice(1))}` }] };
  }
  if (c === '{') {
    const atomic = text[1] === '!';
    const inner = text.slice(atomic ? 2 : 1, -1);
    return { type: 'object', additionalProperties: schemaOf(inner, refs), ...(atomic ? { 'x-kubernetes-map-type': 'atomic' } : {}) };
  }
  const close = text.indexOf(']');
  const spec = text.slice(1, close);
  const items = schemaOf(text.slice(close + 1), refs);
  if (spec.startsWith('m:')) return { type: 'array', items, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': spec.slice(2).split(',') };
  return { type: 'array', items, 'x-kubernetes-list-type': spec === 's' ? 'set' : 'atomic' };
}

const GVK_OF = new Map<string, Array<{ group: string; version: string; kind: string }>>();
for (const [key, def] of Object.entries(KIND_DEFINITIONS)) {
  const parts = key.split('/');
  const kind = parts.pop() as string;
  const version = parts.pop() as string;
  GVK_OF.set(def, [...(GVK_OF.get(def) ?? []), { group: parts.join('/'), version, kind }]);
}

function definitionSchema(def: string, docs: Docs, refs: Set<string>): Schema {
  const text = DEFINITIONS[def] as string;
  const atomic = text.startsWith('!');
  const [description, required, fieldDocs] = docs[def] ?? ['', [], {}];
  const properties: Record<string, Schema> = {};
  for (const entry of (atomic ? text.slice(1) : text).split(';')) {
    const space = entry.indexOf(' ');
    const field = entry.slice(0, space);
    const schema = schemaOf(entry.slice(space + 1), refs);
    properties[field] = fieldDocs[field] ? { description: fieldDocs[field], ...schema } : schema;
  }
  return {
    ...(description ? { description } : {}),
    type: 'object',
    ...(required.length > 0 ? { required } : {}),
    properties,
    ...(atomic ? { 'x-kubernetes-map-type': 'atomic' } : {}),
    ...(GVK_OF.has(def) ? { 'x-kubernetes-group-version-kind': GVK_OF.get(def) } : {}),
  };
}

/** Every schema the given definitions reach, keyed by upstream's component names. */
export function componentSchemas(roots: readonly string[], docs: Docs): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const pending = [...roots];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const def = pending.pop() as string;
    if (seen.has(def) || DEFINITIONS[def] === undefined) continue;
    seen.add(def);
    const refs = new Set<string>();
    out[componentName(def)] = definitionSchema(def, docs, refs);
    pending.push(...refs);
  }
  return out;
}
