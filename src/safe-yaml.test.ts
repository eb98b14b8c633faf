import { describe, expect, it } from 'vitest';
import { allowedAliasRatio, loadYaml, loadYamlDocuments, YamlAliasError, YAMLException } from './safe-yaml.js';

/** A billion-laughs document: `levels` anchors, each a list of nine aliases of the one before. */
function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]`);
  return lines.join('\n');
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('loadYaml (the shared safe decoder)', () => {
  it('refuses a 9^9 alias bomb with go-yaml\'s "excessive aliasing", in milliseconds', () => {
    const started = performance.now();
    const err = thrown(() => loadYaml(aliasBomb(9)));
    // A sanity bound, generous for a loaded machine: expanding 9^9 aliases would not end.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(YamlAliasError);
    expect(err.message).toBe('document contains excessive aliasing');
  });

  it('accepts a document that shares a block by a few aliases', () => {
    const doc = loadYaml('env: &env [{name: A, value: "1"}]\nc1: {env: *env}\nc2: {env: *env}\n');
    expect(doc).toEqual({ env: [{ name: 'A', value: '1' }], c1: { env: [{ name: 'A', value: '1' }] }, c2: { env: [{ name: 'A', value: '1' }] } });
  });

  it('accepts a large document without aliases', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `k${i}: [a, b, c]`).join('\n');
    expect(Object.keys(loadYaml(text) as object)).toHaveLength(5000);
  });

  it('accepts a long flat list (no argument-count limit in the walk)', () => {
    expect(loadYaml(`[${Array(300_000).fill('1').join(',')}]`)).toHaveLength(300_000);
  });

  it('applies a hard cap on expanded nodes when the caller sets one', () => {
    const err = thrown(() => loadYaml(aliasBomb(4), { maxExpandedNodes: 1000 }));
    expect(err.message).toMatch(/aliases expand to more than 1000 nodes/);
  });

  it('refuses a recursive alias', () => {
    expect(thrown(() => loadYaml('a: &a [1, *a]\n')).message).toContain('recursive');
  });

  it('refuses nesting deeper than maxDepth as a syntax error', () => {
    const deep = `${'['.repeat(60)}${']'.repeat(60)}`;
    expect(thrown(() => loadYaml(deep, { maxDepth: 50 }))).toBeInstanceOf(YAMLException);
    expect(loadYaml(deep, { maxDepth: 100 })).toBeDefined();
  });

  it('keeps a __proto__ key as data, never as the prototype', () => {
    const doc = loadYaml('__proto__: {polluted: true}\nconstructor: x\n') as Record<string, unknown>;
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(Object.keys(doc)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads scalars with the YAML 1.2 core schema (no timestamps) and merge keys', () => {
    expect(loadYaml('t: 2030-01-02T15:04:05Z\nb: &b {x: 1}\nc: {<<: *b, y: 2}\n')).toEqual({ t: '2030-01-02T15:04:05Z', b: { x: 1 }, c: { x: 1, y: 2 } });
  });

  it('numbers the document that failed in a multi-document stream', () => {
    expect(thrown(() => loadYamlDocuments(`a: 1\n---\n${aliasBomb(9)}\n`)).message).toBe('document 2: document contains excessive aliasing');
  });
});

describe('allowedAliasRatio (go-yaml)', () => {
  it('allows 99 % up to 400k nodes, 10 % from 4M, linear between', () => {
    expect(allowedAliasRatio(1000)).toBe(0.99);
    expect(allowedAliasRatio(4_000_000)).toBe(0.1);
    expect(allowedAliasRatio(2_200_000)).toBeCloseTo(0.545, 3);
  });
});
