/**
 * The shape of a kind's strategy as the kind modules (storage-kinds, network-kinds,
 * policy-kinds, hpa) declare it: upstream's defaults on create/update, validation of its main
 * fields, and its Table columns. defaults.ts, validation.ts and tables.ts look kinds up here
 * after their own tables. Helpers build upstream's Status causes. Pure.
 */
import type { StatusCause } from './status.js';
import type { KubeObject } from './storage.js';

export type Obj = Record<string, unknown>;
export type Cell = string | number | boolean;

export interface KindColumn {
  name: string;
  type?: 'string' | 'integer' | 'date';
  wide?: boolean;
  cell: (o: KubeObject, now: number) => Cell;
}

export interface KindSpec {
  /** Fills defaults on a new object. */
  create?: (object: KubeObject) => void;
  /** Fills defaults on every write. */
  write?: (object: KubeObject) => void;
  /** metadata.generation tracks spec changes. */
  generation?: boolean;
  validate?: (object: KubeObject) => StatusCause[];
  /** Upstream's printer columns; 'name' and 'age' are the shared Name and Age columns. */
  table?: ReadonlyArray<KindColumn | 'name' | 'age'>;
}

export const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
/** The object at `field` of `parent`, created when absent (for defaults). */
export const child = (parent: Obj, field: string): Obj => {
  const value = parent[field];
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Obj;
  return (parent[field] = {}) as Obj;
};
export const str = (v: unknown, none = '<none>'): string => (v === undefined || v === null || v === '' ? none : String(v));
export const spec = (o: KubeObject): Obj => obj(o.spec);

export const required = (field: string, detail = ''): StatusCause => ({ reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' });
export const invalid = (field: string, value: unknown, detail: string): StatusCause => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });
/** `Unsupported value` unless `value` is one of `supported` (an absent value is left to `required`). */
export function supported(field: string, value: unknown, values: readonly string[]): StatusCause[] {
  if (value === undefined || values.includes(String(value))) return [];
  return [{ reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${values.map((v) => `"${v}"`).join(', ')}` }];
}
export const atLeast = (field: string, value: unknown, min: number): StatusCause[] => (typeof value === 'number' && value < min ? [invalid(field, value, `must be greater than or equal to ${min}`)] : []);
