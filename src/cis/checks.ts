/**
 * The shapes of CIS checks, as kube-bench's tests: a file's permissions or owner, a flag set,
 * unset, equal to, containing or at least a value. Each builder returns an audit: a pure function
 * of the node's facts giving pass/fail and the evidence it saw (the flag or the file mode).
 */
import type { Component, FileFact, NodeFacts } from './facts.js';

export interface Outcome {
  ok: boolean;
  evidence: string;
}

export type Audit = (facts: NodeFacts) => Outcome;

export interface Control {
  id: string;
  text: string;
  /** CIS "Automated" items are scored: failing one is a FAIL; an unscored (Manual) item that fails is a WARN. */
  scored: boolean;
  audit: Audit;
  remediation: string;
  /** A documented kubeforge exception: failing this item is reported as WARN with this reason (README, "Security defaults"). */
  exception?: string;
}

/** A whole section applies only where its component runs (a control plane node, a node with a kubelet). */
export interface Group {
  id: string;
  text: string;
  applies: (facts: NodeFacts) => boolean;
  controls: Control[];
}

const octal = (mode: number) => (mode & 0o777).toString(8);

/** kube-bench's `bitmask`: no permission bit outside `max`. */
export function permissions(files: (facts: NodeFacts) => FileFact[], max: number): Audit {
  return (facts) => {
    const present = files(facts).filter((f) => f.stat);
    if (present.length === 0) return { ok: true, evidence: 'no such file' };
    const bad = present.filter((f) => (f.stat!.mode & ~max & 0o777) !== 0);
    const shown = bad.length > 0 ? bad : present;
    return { ok: bad.length === 0, evidence: shown.map((f) => `permissions=${octal(f.stat!.mode)} ${f.path}`).join(', ') };
  };
}

/** Owner and group by name, as `stat -c %U:%G`. */
export function ownership(files: (facts: NodeFacts) => FileFact[], expected: string): Audit {
  return (facts) => {
    const present = files(facts).filter((f) => f.stat?.uid !== undefined);
    if (present.length === 0) return { ok: true, evidence: 'no such file' };
    const owner = (f: FileFact) => `${facts.accounts.user(f.stat!.uid!)}:${facts.accounts.group(f.stat!.gid!)}`;
    // A relocated root run unprivileged belongs to its user: that is the root:root of that node.
    const self = `${facts.accounts.user(facts.accounts.self.uid)}:${facts.accounts.group(facts.accounts.self.gid)}`;
    const wanted = facts.unprivilegedRoot && expected === 'root:root' ? self : expected;
    const bad = present.filter((f) => owner(f) !== wanted);
    const shown = bad.length > 0 ? bad : present.slice(0, 3);
    const more = bad.length === 0 && present.length > 3 ? ` (and ${present.length - 3} more)` : '';
    return { ok: bad.length === 0, evidence: `${shown.map((f) => `ownership=${owner(f)} ${f.path}`).join(', ')}${more}` };
  };
}

export const file = (logical: string) => (facts: NodeFacts) => [facts.files.get(logical) ?? { path: logical, stat: undefined }];

export function flagValue(facts: NodeFacts, component: Component, name: string): string | undefined {
  return facts.flags[component]?.get(name);
}

const shown = (component: Component, name: string, value: string | undefined) => (value === undefined ? `--${name} not set (${component})` : `--${name}=${value} (${component})`);

/** Passes when `test` accepts the flag's value (undefined when unset). */
export function flag(component: Component, name: string, test: (value: string | undefined) => boolean): Audit {
  return (facts) => {
    const value = flagValue(facts, component, name);
    return { ok: test(value), evidence: shown(component, name, value) };
  };
}

const listHas = (value: string | undefined, item: string) => (value ?? '').split(',').map((v) => v.trim()).includes(item);

export const isSet = (v: string | undefined) => v !== undefined && v !== '';
export const equals = (expected: string) => (v: string | undefined) => v === expected;
export const has = (item: string) => (v: string | undefined) => listHas(v, item);
export const lacks = (item: string) => (v: string | undefined) => !listHas(v, item);
export const atLeast = (min: number) => (v: string | undefined) => v !== undefined && Number(v) >= min;

/** Both flags set (client certificate and key, TLS certificate and key). */
export function bothSet(component: Component, a: string, b: string): Audit {
  return (facts) => {
    const [va, vb] = [flagValue(facts, component, a), flagValue(facts, component, b)];
    return { ok: isSet(va) && isSet(vb), evidence: `${shown(component, a, va)}, ${shown(component, b, vb)}` };
  };
}

/** A manual item kubeforge cannot decide: always reported as WARN, with what it found. */
export function manual(evidence: (facts: NodeFacts) => string): Audit {
  return (facts) => ({ ok: false, evidence: evidence(facts) });
}
