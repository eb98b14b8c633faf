import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { readTemplate, TEMPLATES_DIR } from '../host/templates.js';
import { toYaml } from './templates.js';

describe('templates/', () => {
  it('is found at the package root from the module URL', () => {
    const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    expect(TEMPLATES_DIR).toBe(path.join(packageRoot, 'templates') + path.sep);
    for (const name of ['static-pod.yaml', 'kubelet-config.yaml', 'kubeforge-agent.service']) expect(existsSync(path.join(TEMPLATES_DIR, name))).toBe(true);
  });

  it('reports a missing template with a coded error', () => {
    expect(() => readTemplate('no-such-template.yaml')).toThrow(expect.objectContaining({ code: 'KF_TEMPLATE_MISSING' }));
  });
});

describe('toYaml', () => {
  it('sorts keys, keeps sequences at their parent\'s indentation and never folds long lines', () => {
    const long = `--x=${'a'.repeat(200)}`;
    expect(toYaml({ b: [long], a: { d: 1, c: null } })).toBe(`a:\n  c: null\n  d: 1\nb:\n- ${long}\n`);
  });

  it.each([
    ['--plain=flag,with*,commas:and/colons', '- --plain=flag,with*,commas:and/colons\n'],
    ['--has space', '- "--has space"\n'],
    ['--comment #x', '- "--comment #x"\n'],
    ['--ends-with-colon:', '- "--ends-with-colon:"\n'],
    ['--quote"d', '- "--quote\\"d"\n'],
    ['--', '- "--"\n'],
    ['-1', '- "-1"\n'],
  ])('writes %j as %j and reads it back unchanged', (value, text) => {
    expect(toYaml([value])).toBe(text);
    expect(yaml.load(toYaml([value]))).toEqual([value]);
  });

  it('leaves a flag-like string in a mapping value plain and other strings as js-yaml writes them', () => {
    expect(toYaml({ command: '--a=b', empty: '', num: '10', flag: 'true' })).toBe('command: --a=b\nempty: ""\nflag: "true"\nnum: "10"\n');
  });
});
