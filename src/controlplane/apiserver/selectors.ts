/**
 * Label selectors (`a=b,c!=d,e in (f,g),!h`) and field selectors (`metadata.name=x`,
 * `spec.nodeName!=`) parsed into predicates over objects. Pure.
 */
import { ApiError } from './status.js';
import type { KubeObject } from './storage.js';
import { own } from '../../safe-keys.js';

export type Predicate = (object: KubeObject) => boolean;

interface Requirement {
  key: string;
  op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!';
  values: string[];
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseTerm(term: string, kind: string): Requirement {
  let m = /^!\s*([^\s=!(),]+)$/.exec(term);
  if (m) return { key: m[1] as string, op: '!', values: [] };
  m = /^([^\s=!(),]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) return { key: m[1] as string, op: m[2] as 'in' | 'notin', values: (m[3] as string).split(',').map((v) => v.trim()) };
  m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(term);
  if (m) return { key: m[1] as string, op: m[2] === '!=' ? '!=' : '=', values: [m[3] as string] };
  m = /^([^\s=!(),]+)$/.exec(term);
  if (m && kind === 'label') return { key: m[1] as string, op: 'exists', values: [] };
  throw new ApiError(400, 'BadRequest', `unable to parse requirement: invalid ${kind} selector: "${term}"`);
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case '=':
      return value === req.values[0];
    case '!=':
      return value !== req.values[0];
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
  }
}

export function parseLabelSelector(selector: string | null): Predicate {
  if (!selector) return () => true;
  const reqs = splitTerms(selector).map((t) => parseTerm(t, 'label'));
  return (object) => {
    const labels = object.metadata?.labels;
    return reqs.every((r) => matches(r, labels ? (own(labels, r.key) as string | undefined) : undefined));
  };
}

/** Reads a dotted field path; a missing field reads as the empty string, as upstream's field sets. */
export function fieldValue(object: KubeObject, path: string): string {
  let value: unknown = object;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return '';
    value = own(value, part);
  }
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function parseFieldSelector(selector: string | null): Predicate {
  if (!selector) return () => true;
  const reqs = splitTerms(selector).map((t) => parseTerm(t, 'field'));
  for (const r of reqs) {
    if (r.op !== '=' && r.op !== '!=') throw new ApiError(400, 'BadRequest', `invalid field selector: operator ${r.op} is not supported`);
  }
  return (object) => reqs.every((r) => matches(r, fieldValue(object, r.key)));
}

/** The metadata.name a field selector pins, for single-object watches and lists. */
export function selectedName(selector: string | null): string | undefined {
  if (!selector) return undefined;
  const m = /^metadata\.name==?([^,]+)$/.exec(selector.trim());
  return m?.[1];
}
