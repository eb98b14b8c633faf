import { afterEach, describe, expect, it } from 'vitest';
import { jsonPatch, mergePatch, strategicMerge } from './patch.js';
import { ApiError } from './status.js';

type Json = Parameters<typeof jsonPatch>[0];
const node = (): Json => ({ kind: 'Node', metadata: { name: 'w1', labels: { a: '1' } }, spec: {} });

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
  return 200;
}

afterEach(() => {
  // A failing guard must not leak into the other tests.
  for (const key of ['extra', 'apiGroups', 'polluted']) delete (Object.prototype as Record<string, unknown>)[key];
});

describe('patches never reach Object.prototype', () => {
  it.each([
    ['add', '/__proto__/extra'],
    ['add', '/metadata/__proto__/apiGroups'],
    ['replace', '/constructor/prototype/extra'],
    ['add', '/spec/constructor/prototype/extra'],
  ])('a JSON patch %s at %s is 422 (the path does not exist) and pollutes nothing', (op, path) => {
    expect(status(() => jsonPatch(node(), [{ op, path, value: ['*'] }]))).toBe(422);
    expect(({} as Record<string, unknown>).extra).toBeUndefined();
    expect(({} as Record<string, unknown>).apiGroups).toBeUndefined();
  });

  it('a JSON patch move or copy from an inherited path is 422', () => {
    expect(status(() => jsonPatch(node(), [{ op: 'copy', from: '/constructor', path: '/spec/x' }]))).toBe(422);
    expect(status(() => jsonPatch(node(), [{ op: 'move', from: '/__proto__', path: '/spec/x' }]))).toBe(422);
    expect(status(() => jsonPatch(node(), [{ op: 'test', path: '/toString', value: null }]))).toBe(422);
  });

  it('a JSON patch adding a "__proto__" key stores it as data on that object only', () => {
    const patched = jsonPatch(node(), [{ op: 'add', path: '/metadata/labels/__proto__', value: { polluted: 'yes' } }]) as { metadata: { labels: object } };
    const labels = patched.metadata.labels;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['a', '__proto__']);
    expect(JSON.parse(JSON.stringify(patched)).metadata.labels.__proto__).toEqual({ polluted: 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('array indexes are digits only (no "", no leading zero)', () => {
    const doc: Json = { list: ['a', 'b'] };
    expect(status(() => jsonPatch(doc, [{ op: 'replace', path: '/list/', value: 'x' }]))).toBe(422);
    expect(status(() => jsonPatch(doc, [{ op: 'replace', path: '/list/01', value: 'x' }]))).toBe(422);
    expect(jsonPatch(doc, [{ op: 'replace', path: '/list/1', value: 'x' }])).toEqual({ list: ['a', 'x'] });
  });

  it.each([
    ['merge patch', mergePatch],
    ['strategic merge patch', strategicMerge],
  ])('a %s with a "__proto__" key keeps it as a key, not a prototype', (_name, merge) => {
    const patch = JSON.parse('{"metadata":{"__proto__":{"apiGroups":["*"]},"labels":{"constructor":"x"}}}') as Json;
    const result = merge(node(), patch) as { metadata: Record<string, unknown> & { labels: Record<string, unknown> } };
    expect(Object.getPrototypeOf(result.metadata)).toBe(Object.prototype);
    expect(result.metadata.apiGroups).toBeUndefined();
    expect(Object.hasOwn(result.metadata, '__proto__')).toBe(true);
    expect(result.metadata.labels).toEqual({ a: '1', constructor: 'x' });
    expect(({} as Record<string, unknown>).apiGroups).toBeUndefined();
  });

  it('a strategic merge list field named like an inherited property replaces, not merges by an inherited key', () => {
    const result = strategicMerge({ spec: { constructor: [{ name: 'a' }] } } as Json, { spec: { constructor: [{ name: 'b' }] } } as Json);
    expect(result).toEqual({ spec: { constructor: [{ name: 'b' }] } });
  });
});
