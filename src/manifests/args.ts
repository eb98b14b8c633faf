/**
 * Component flags the way kubeadm builds them (cmd/kubeadm/app/util/arguments.go and
 * apis/kubeadm/argument.go): defaults as an ordered `Arg` list, user `extraArgs` merged by
 * `argumentsToCommand`, the result sorted and printed as `--name=value`.
 */
import type { Arg } from '../config/types.js';

/**
 * kubeadm's ArgumentsToCommand: every name present in `overrides` drops all default instances of
 * that name; override instances are all kept (v1beta4 allows repeats). The list is sorted by name,
 * then by value.
 */
export function argumentsToCommand(base: readonly Arg[], overrides: readonly Arg[]): string[] {
  const overridden = new Set(overrides.map((arg) => arg.name));
  const args = [...overrides, ...base.filter((arg) => !overridden.has(arg.name))];
  args.sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.value, b.value));
  return args.map((arg) => `--${arg.name}=${arg.value}`);
}

/** kubeadm's GetArgValue with startIdx -1: the value of the last instance of `name`, or undefined. */
export function getArgValue(args: readonly Arg[], name: string): string | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    const arg = args[i];
    if (arg?.name === name) return arg.value;
  }
  return undefined;
}

/** kubeadm's SetArgValues(args, name, value, 1): replaces the last instance of `name` or appends it. */
export function setArgValue(args: readonly Arg[], name: string, value: string): Arg[] {
  const result = args.map((arg) => ({ ...arg }));
  for (let i = result.length - 1; i >= 0; i--) {
    const arg = result[i];
    if (arg?.name === name) {
      arg.value = value;
      return result;
    }
  }
  result.push({ name, value });
  return result;
}

/** Go's string order (byte-wise; identical to code-unit order for the ASCII flags and names here). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
