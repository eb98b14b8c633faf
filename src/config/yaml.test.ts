import { describe, expect, it } from 'vitest';
import { thrownBy as thrown } from '../../test/helpers/config-errors.js';
import { MAX_CONFIG_BYTES, parseYamlDocuments } from './yaml.js';


const billionLaughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
].join('\n');

describe('parseYamlDocuments', () => {
  it('returns every non-empty document of a multi-document file', () => {
    expect(parseYamlDocuments('a: 1\n---\n---\nb: [x, y]\n', 'f.yaml')).toEqual([{ a: 1 }, { b: ['x', 'y'] }]);
  });

  it('keeps timestamps as strings and supports merge keys', () => {
    const [doc] = parseYamlDocuments('base: &b {x: 1}\nexpires: 2030-01-02T15:04:05Z\nc:\n  <<: *b\n  y: 2\n', 'f.yaml');
    expect(doc).toEqual({ base: { x: 1 }, expires: '2030-01-02T15:04:05Z', c: { x: 1, y: 2 } });
  });

  it('rejects a 100 MB input by its size without parsing it', () => {
    const huge = 'a'.repeat(100 * 1024 * 1024);
    const started = performance.now();
    const err = thrown(() => parseYamlDocuments(huge, 'huge.yaml'));
    // A sanity bound, generous for a loaded machine: parsing 100 MB would take far longer.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('KF_CONFIG_TOO_LARGE');
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(`${MAX_CONFIG_BYTES} bytes (2 MiB)`);
    expect(err.message).toContain('huge.yaml');
  });

  it('rejects a file just over 2 MiB of multi-byte text by its UTF-8 size', () => {
    const text = `a: "${'é'.repeat(MAX_CONFIG_BYTES / 2)}"`;
    expect(thrown(() => parseYamlDocuments(text, 'f.yaml')).code).toBe('KF_CONFIG_TOO_LARGE');
  });

  it('rejects a billion-laughs alias bomb in well under a second', () => {
    const started = performance.now();
    const err = thrown(() => parseYamlDocuments(billionLaughs, 'bomb.yaml'));
    const elapsed = performance.now() - started;
    // A sanity bound, generous for a loaded machine: expanding the bomb would not end.
    expect(elapsed).toBeLessThan(5000);
    expect(err.code).toBe('KF_CONFIG_YAML_ALIASES');
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/bomb\.yaml: document 1: aliases expand to more than 1000000 nodes/);
  });

  it('accepts a modest use of aliases', () => {
    const [doc] = parseYamlDocuments('a: &a [1, 2]\nb: [*a, *a]\n', 'f.yaml');
    expect(doc).toEqual({ a: [1, 2], b: [[1, 2], [1, 2]] });
  });

  it('rejects a recursive alias', () => {
    const err = thrown(() => parseYamlDocuments('a: &a [1, *a]\n', 'loop.yaml'));
    expect(err.code).toBe('KF_CONFIG_YAML_ALIASES');
    expect(err.message).toContain('recursive');
  });

  it('names the file, line and column of malformed YAML', () => {
    const err = thrown(() => parseYamlDocuments('kind: InitConfiguration\nnodeRegistration:\n  name: [unclosed\n', 'bad.yaml'));
    expect(err.code).toBe('KF_CONFIG_YAML_SYNTAX');
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/^bad\.yaml:\d+:\d+: invalid YAML \(line \d+, column \d+\)/);
  });

  it('reports the exact position of a bad indentation', () => {
    const err = thrown(() => parseYamlDocuments('a: 1\n b: 2\n', 'indent.yaml'));
    expect(err.message).toContain('indent.yaml:2:');
  });

  it('rejects duplicated keys', () => {
    const err = thrown(() => parseYamlDocuments('a: 1\na: 2\n', 'dup.yaml'));
    expect(err.code).toBe('KF_CONFIG_YAML_SYNTAX');
    expect(err.message).toContain('duplicated mapping key');
  });

  it('rejects nesting deeper than the limit', () => {
    const deep = `${'['.repeat(200)}${']'.repeat(200)}`;
    expect(thrown(() => parseYamlDocuments(deep, 'deep.yaml')).code).toBe('KF_CONFIG_YAML_SYNTAX');
  });
});
