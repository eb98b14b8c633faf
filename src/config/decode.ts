/**
 * Strict, typed decoding of one config document against a schema table (schemas.ts), the way
 * kubeadm's strict unmarshalling works: an unknown field is an error naming its path
 * (`strict decoding error: unknown field "nodeRegistration.foo"`), a value of the wrong type is an
 * error naming the field and the type expected. Like sigs.k8s.io/yaml, a number or boolean given
 * for a string field becomes its text (`v: 2` → "2"), and `null` means "not set".
 */
import { formatGoDurationNs, parseGoDurationNs } from './duration.js';
import { setOwn } from '../safe-keys.js';

export type FieldSchema =
  | 'string'
  | 'int'
  | 'bool'
  | 'duration'
  /** Any JSON value, kept as is (e.g. an EnvVar's valueFrom). */
  | 'any'
  | { list: FieldSchema }
  | { map: FieldSchema }
  | { object: ObjectSchema };

export type ObjectSchema = { readonly [field: string]: FieldSchema };

export interface DecodeIssue {
  kind: 'unknown-field' | 'type';
  path: string;
  message: string;
}

export type Decoded = { [field: string]: unknown };

/** Decodes `raw` (a parsed YAML mapping) into a plain object holding only known, well-typed fields. */
export function decodeObject(raw: unknown, schema: ObjectSchema, issues: DecodeIssue[], path = ''): Decoded {
  const out: Decoded = {};
  if (!isPlainObject(raw)) {
    issues.push(typeIssue(path, 'an object', raw));
    return out;
  }
  for (const [key, value] of Object.entries(raw)) {
    const fieldPath = path === '' ? key : `${path}.${key}`;
    const fieldSchema = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (fieldSchema === undefined) {
      issues.push({ kind: 'unknown-field', path: fieldPath, message: `strict decoding error: unknown field "${fieldPath}"` });
      continue;
    }
    if (value === null || value === undefined) {
      out[key] = null;
      continue;
    }
    const decoded = decodeValue(value, fieldSchema, issues, fieldPath);
    if (decoded !== undefined) out[key] = decoded;
  }
  return out;
}

function decodeValue(value: unknown, schema: FieldSchema, issues: DecodeIssue[], path: string): unknown {
  if (typeof schema === 'object') {
    if ('object' in schema) return decodeObject(value, schema.object, issues, path);
    if ('list' in schema) {
      if (!Array.isArray(value)) return reject(issues, path, 'a list', value);
      return value.map((item, index) => (item === null ? null : decodeValue(item, schema.list, issues, `${path}[${index}]`)));
    }
    if (!isPlainObject(value)) return reject(issues, path, 'a map', value);
    const out: Decoded = {};
    for (const [key, item] of Object.entries(value)) {
      const decoded = item === null ? null : decodeValue(item, schema.map, issues, `${path}.${key}`);
      if (decoded !== undefined) setOwn(out, key, decoded);
    }
    return out;
  }
  switch (schema) {
    case 'any':
      return value;
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return reject(issues, path, 'a string', value);
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1) return value;
      return reject(issues, path, 'an integer', value);
    case 'bool':
      if (typeof value === 'boolean') return value;
      return reject(issues, path, 'a boolean (true or false)', value);
    case 'duration': {
      const ns = typeof value === 'string' ? parseGoDurationNs(value) : undefined;
      if (ns !== undefined) return formatGoDurationNs(ns);
      if (typeof value === 'string') {
        issues.push({ kind: 'type', path, message: `${path}: time: invalid duration ${JSON.stringify(value)} (expected a Go duration such as "24h0m0s", "90m" or "30s")` });
        return undefined;
      }
      return reject(issues, path, 'a duration string such as "24h0m0s"', value);
    }
  }
}

function reject(issues: DecodeIssue[], path: string, expected: string, value: unknown): undefined {
  issues.push(typeIssue(path, expected, value));
  return undefined;
}

function typeIssue(path: string, expected: string, value: unknown): DecodeIssue {
  const where = path === '' ? 'the document' : path;
  return { kind: 'type', path, message: `${where}: expected ${expected}, got ${describe(value)}` };
}

export function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
