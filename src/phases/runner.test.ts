import { describe, expect, it } from 'vitest';
import { KubeforgeError } from '../errors.js';
import { createMemoryLogger } from '../log.js';
import { describePhases, findPhase, flattenPhases, parseSkipPhases, runPhases, type Phase } from './runner.js';

function tree(ran: string[]): Phase<unknown>[] {
  const leaf = (name: string): Phase<unknown> => ({ name, short: `do ${name}`, run: async () => void ran.push(name) });
  return [
    leaf('preflight'),
    { name: 'certs', short: 'Certificate generation', runAllSiblings: true, children: [leaf('ca'), leaf('apiserver')] },
    leaf('kubeconfig'),
  ];
}

describe('phase runner', () => {
  it('runs every phase depth first in order', async () => {
    const ran: string[] = [];
    await runPhases(tree(ran), {}, { log: createMemoryLogger() });
    expect(ran).toEqual(['preflight', 'ca', 'apiserver', 'kubeconfig']);
  });

  it('skips a whole parent or a single child', async () => {
    const ran: string[] = [];
    const t = tree(ran);
    await runPhases(t, {}, { log: createMemoryLogger(), skip: parseSkipPhases(t, ['certs/ca,kubeconfig']) });
    expect(ran).toEqual(['preflight', 'apiserver']);
    ran.length = 0;
    await runPhases(t, {}, { log: createMemoryLogger(), skip: parseSkipPhases(t, ['certs']) });
    expect(ran).toEqual(['preflight', 'kubeconfig']);
  });

  it('runs a batched group once with its selected children', async () => {
    const ran: string[] = [];
    const t = tree(ran);
    t[1]!.runChildren = async (_ctx, names) => void ran.push(`batch:${names.join('+')}`);
    await runPhases(t, {}, { log: createMemoryLogger(), skip: parseSkipPhases(t, ['certs/ca']) });
    expect(ran).toEqual(['preflight', 'batch:apiserver', 'kubeconfig']);
  });

  it('rejects an unknown --skip-phases name as a validation error listing the known ones', () => {
    let caught: unknown;
    try {
      parseSkipPhases(tree([]), ['cert']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KubeforgeError);
    expect((caught as KubeforgeError).exitCode).toBe(3);
    expect((caught as KubeforgeError).message).toContain('"cert"');
    expect((caught as KubeforgeError).hint).toContain('certs/apiserver');
  });

  it('reports the duration of each top-level phase only', async () => {
    const log = createMemoryLogger();
    await runPhases(tree([]), {}, { log });
    expect(log.lines.filter((l) => l.includes('completed in')).map((l) => l.split(']')[0])).toEqual(['[preflight', '[certs', '[kubeconfig']);
  });

  it('finds sub-phases by path, with all meaning the parent', () => {
    const t = tree([]);
    expect(findPhase(t, 'certs/apiserver')?.name).toBe('apiserver');
    expect(findPhase(t, 'certs/all')?.name).toBe('certs');
    expect(findPhase(t, 'certs/nope')).toBeUndefined();
    expect(findPhase(t, 'kubeconfig/all')).toBeUndefined();
  });

  it('lists the tree like kubeadm help', () => {
    const text = describePhases('init', tree([]));
    expect(text.split('\n')).toContain('  /apiserver  do apiserver');
    expect(flattenPhases(tree([])).map((p) => p.path)).toEqual(['preflight', 'certs', 'certs/ca', 'certs/apiserver', 'kubeconfig']);
  });
});
