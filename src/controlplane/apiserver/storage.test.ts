import { describe, expect, it } from 'vitest';
import { decodeObject, encodeObject, withResourceVersion } from './storage.js';

const kv = (value: Buffer) => ({ key: Buffer.from('/registry/x'), value, mod_revision: '42', create_revision: '1', version: '1', lease: '0' });

describe('stored JSON', () => {
  it('stores kind, apiVersion and metadata first, without resourceVersion', () => {
    const stored = encodeObject({ data: { a: '1' }, metadata: { name: 'x', resourceVersion: '7' }, apiVersion: 'v1', kind: 'ConfigMap' }).toString();
    expect(stored).toBe('{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"},"data":{"a":"1"}}');
  });

  it('splices the resourceVersion into stored bytes exactly as decoding and re-encoding would', () => {
    for (const object of [
      { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x', labels: { 'a"b': 'c' } }, data: { metadata: '{"metadata":{' } },
      { kind: 'Namespace', apiVersion: 'v1', metadata: {} },
      { kind: 'Wéird\\"', apiVersion: 'v1', metadata: { name: 'ü' } },
    ]) {
      const value = encodeObject(object);
      const spliced = withResourceVersion(value, '42');
      expect(JSON.parse(String(spliced))).toEqual(decodeObject(kv(value)));
    }
  });

  it('declines values written in another layout (they are decoded instead)', () => {
    expect(withResourceVersion(Buffer.from('{"metadata":{"name":"x"},"kind":"ConfigMap"}'), '1')).toBeUndefined();
    expect(withResourceVersion(Buffer.from('not json'), '1')).toBeUndefined();
  });
});
