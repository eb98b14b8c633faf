/**
 * Objects whose keys come from users (JSON and YAML bodies, patches, labels, annotations, env,
 * headers, selectors, config maps): a user key must only ever name the object's own data, never
 * `__proto__`, `constructor` or `prototype` as inherited from Object.prototype. Reading `obj[key]`
 * would follow those into the prototype chain (a JSON patch to `/__proto__/x` then writes on
 * Object.prototype, seen by every object of the process), and assigning `obj.__proto__ = value`
 * replaces the object's prototype instead of storing a key.
 */

/** What `object` itself holds under `key`; undefined for a key it only inherits. */
export function own(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

/** A table lookup by a user-given key: only the table's own rows, never an inherited property. */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Stores `value` under `key` as an own data property, `__proto__` included. */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}
