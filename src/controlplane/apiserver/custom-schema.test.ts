import { describe, expect, it } from 'vitest';
import { applyDefaults, prune, structuralErrors, validateCustom } from './custom-schema.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
        size: { type: 'integer', minimum: 1, default: 2 },
        tags: { type: 'array', maxItems: 1, items: { type: 'string' } },
        port: { 'x-kubernetes-int-or-string': true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

describe('structural schemas of CRDs', () => {
  it('accepts a structural schema and refuses what upstream refuses, sorted, with its messages', () => {
    expect(structuralErrors(schema, 'root')).toEqual([]);
    const bad = { properties: { a: { properties: { b: { type: 'string' } } }, l: { type: 'array' }, metadata: { type: 'object', properties: { labels: { type: 'object' } } } }, additionalProperties: false, anyOf: [{ type: 'string', description: 'd' }] };
    expect(structuralErrors(bad, 'r').map((c) => `${c.field}: ${c.message}`)).toEqual([
      'r.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
      'r.additionalProperties: Forbidden: must not be used at the root',
      'r.anyOf[0].description: Forbidden: must be empty to be structural',
      'r.anyOf[0].type: Forbidden: must be empty to be structural',
      'r.properties[a].type: Required value: must not be empty for specified object fields',
      'r.properties[l].items: Required value: must be specified',
      'r.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
      'r.type: Required value: must not be empty at the root',
    ]);
    expect(structuralErrors({ type: 'object', properties: { p: { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true } } }, 'r')).toEqual([]);
  });
});

describe('custom resources against their schema', () => {
  it('prunes unknown fields except where preserved, and returns their paths', () => {
    const cr = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { name: 'a', bogus: 1, labels: { k: 'v' }, free: { any: { thing: 1 } } }, top: true };
    expect(prune(cr, schema)).toEqual(['spec.bogus', 'top']);
    expect(cr).toEqual({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { name: 'a', labels: { k: 'v' }, free: { any: { thing: 1 } } } });
  });

  it('fills defaults of absent fields only', () => {
    const cr = { spec: { name: 'a' } };
    applyDefaults(cr, schema);
    expect(cr.spec).toEqual({ name: 'a', size: 2 });
    const given = { spec: { name: 'a', size: 5 } };
    applyDefaults(given, schema);
    expect(given.spec.size).toBe(5);
  });

  it('reports each violation with kube-openapi\'s message at its field path', () => {
    const causes = validateCustom({ spec: { name: 'ABCDEFG', size: 0, tags: ['a', 'b'], port: true, labels: { k: 1 } } }, schema);
    expect(causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      "spec.name: Invalid value: \"ABCDEFG\": spec.name in body should match '^[a-z]+$'",
      'spec.name: Too long: may not be more than 5 bytes',
      'spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1',
      'spec.tags: Too many: 2: must have at most 1 items',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      'spec.labels.k: Invalid value: "integer": spec.labels.k in body must be of type string: "integer"',
    ]);
    expect(validateCustom({ spec: {} }, schema).map((c) => `${c.field}: ${c.message}`)).toEqual(['spec.name: Required value']);
  });
});
