import { describe, expect, it } from 'vitest';
import { decodeBody, jsonDeeperThan } from './http.js';

describe('request body limits', () => {
  it('measures JSON nesting without counting brackets inside strings', () => {
    expect(jsonDeeperThan('{"a":[[1]]}', 3)).toBe(false);
    expect(jsonDeeperThan('{"a":[[[1]]]}', 3)).toBe(true);
    expect(jsonDeeperThan('{"a":"[[[[\\"[[[["}', 1)).toBe(false);
  });

  it('refuses a 100,000-deep JSON body with 400 instead of overflowing the stack later', () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    expect(() => decodeBody(Buffer.from(deep), 'application/json', false)).toThrow(expect.objectContaining({ code: 400, message: expect.stringContaining('exceeded max depth') }));
  });

  it('refuses a YAML alias bomb with go-yaml\'s message', () => {
    const lines = ['a0: &a0 [x,x,x,x,x,x,x,x,x]'];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
    expect(() => decodeBody(Buffer.from(lines.join('\n')), 'application/yaml', false)).toThrow(
      expect.objectContaining({ code: 400, message: 'the body of the request could not be decoded: yaml: document contains excessive aliasing' }),
    );
  });

  it('decodes ordinary JSON and YAML bodies', () => {
    expect(decodeBody(Buffer.from('{"metadata":{"name":"x"}}'), 'application/json', false)).toEqual({ metadata: { name: 'x' } });
    expect(decodeBody(Buffer.from('metadata:\n  name: x\n'), 'application/yaml', false)).toEqual({ metadata: { name: 'x' } });
  });
});
