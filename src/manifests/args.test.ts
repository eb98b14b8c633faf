import { describe, expect, it } from 'vitest';
import { argumentsToCommand, getArgValue, setArgValue } from './args.js';

describe('argumentsToCommand (kubeadm ArgumentsToCommand)', () => {
  const base = [
    { name: 'secure-port', value: '6443' },
    { name: 'authorization-mode', value: 'Node,RBAC' },
    { name: 'allow-privileged', value: 'true' },
  ];

  it('prints defaults as --name=value sorted by name', () => {
    expect(argumentsToCommand(base, [])).toEqual(['--allow-privileged=true', '--authorization-mode=Node,RBAC', '--secure-port=6443']);
  });

  it('replaces every default of a name the overrides set', () => {
    expect(argumentsToCommand(base, [{ name: 'secure-port', value: '7443' }])).toEqual([
      '--allow-privileged=true',
      '--authorization-mode=Node,RBAC',
      '--secure-port=7443',
    ]);
  });

  it('keeps repeated override instances, sorted by value', () => {
    const overrides = [
      { name: 'feature-gates', value: 'B=true' },
      { name: 'feature-gates', value: 'A=true' },
    ];
    expect(argumentsToCommand([], overrides)).toEqual(['--feature-gates=A=true', '--feature-gates=B=true']);
  });

  it('keeps an override with an empty value', () => {
    expect(argumentsToCommand(base, [{ name: 'allow-privileged', value: '' }])).toContain('--allow-privileged=');
  });
});

describe('getArgValue and setArgValue', () => {
  const args = [
    { name: 'a', value: '1' },
    { name: 'a', value: '2' },
  ];

  it('reads the last instance of a name', () => {
    expect(getArgValue(args, 'a')).toBe('2');
    expect(getArgValue(args, 'b')).toBeUndefined();
  });

  it('replaces the last instance or appends, without touching the input', () => {
    expect(setArgValue(args, 'a', '3')).toEqual([
      { name: 'a', value: '1' },
      { name: 'a', value: '3' },
    ]);
    expect(setArgValue(args, 'b', 'x')).toHaveLength(3);
    expect(args[1]?.value).toBe('2');
  });
});
