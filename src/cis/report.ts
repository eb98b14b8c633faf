/**
 * Evaluating the benchmark's groups against a node's facts and printing the result the way
 * kube-bench does: `[PASS] 1.2.15 <text>` lines with the evidence under each, then the
 * remediations of what did not pass, then a summary. A failing item with a documented kubeforge
 * exception is a WARN that says why. The JSON form (`-o json`) is stable: one object per check.
 */
import type { Control, Group } from './checks.js';
import type { NodeFacts } from './facts.js';

export type Status = 'PASS' | 'FAIL' | 'WARN';

export interface CheckResult {
  id: string;
  text: string;
  status: Status;
  scored: boolean;
  evidence: string;
  remediation: string;
  exception?: string;
}

export interface SectionResult {
  id: string;
  text: string;
  checks: CheckResult[];
}

export interface BenchmarkReport {
  benchmark: 'cis-1.10';
  sections: SectionResult[];
  totals: Record<'pass' | 'fail' | 'warn', number>;
}

function evaluate(control: Control, facts: NodeFacts): CheckResult {
  const { ok, evidence } = control.audit(facts);
  const status: Status = ok ? 'PASS' : control.exception ? 'WARN' : control.scored ? 'FAIL' : 'WARN';
  return {
    id: control.id, text: control.text, status, scored: control.scored, evidence, remediation: control.remediation,
    ...(!ok && control.exception ? { exception: control.exception } : {}),
  };
}

/** Every group that applies to this node, its checks in the benchmark's order. */
export function runBenchmark(groups: readonly Group[], facts: NodeFacts): BenchmarkReport {
  const byNumber = (a: CheckResult, b: CheckResult) => {
    const [x, y] = [a.id.split('.').map(Number), b.id.split('.').map(Number)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  const sections = groups.filter((g) => g.applies(facts)).map((g) => ({ id: g.id, text: g.text, checks: g.controls.map((c) => evaluate(c, facts)).sort(byNumber) }));
  const all = sections.flatMap((s) => s.checks);
  const count = (status: Status) => all.filter((c) => c.status === status).length;
  return { benchmark: 'cis-1.10', sections, totals: { pass: count('PASS'), fail: count('FAIL'), warn: count('WARN') } };
}

export function formatBenchmarkText(report: BenchmarkReport): string {
  const lines: string[] = [];
  for (const section of report.sections) {
    lines.push(`[INFO] ${section.id} ${section.text}`);
    for (const check of section.checks) {
      lines.push(`[${check.status}] ${check.id} ${check.text}`, `       evidence: ${check.evidence}`);
      if (check.exception) lines.push(`       exception: ${check.exception}`);
    }
  }
  const open = report.sections.flatMap((s) => s.checks).filter((c) => c.status !== 'PASS');
  if (open.length > 0) {
    lines.push('', '== Remediations ==');
    for (const check of open) lines.push(`${check.id} ${check.remediation}`);
  }
  lines.push('', '== Summary ==', `${report.totals.pass} checks PASS`, `${report.totals.fail} checks FAIL`, `${report.totals.warn} checks WARN`);
  if (report.sections.length === 0) lines.push('(no control plane or node agent found under this root)');
  return `${lines.join('\n')}\n`;
}
