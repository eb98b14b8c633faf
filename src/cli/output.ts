/** Prints command results on stdout: a table or text by default, `-o json|yaml` as kubeadm. */
import { validationError } from '../errors.js';

export type OutputFormat = 'text' | 'json' | 'yaml';

export function parseOutputFormat(value: string | undefined, allowed: OutputFormat[] = ['text', 'json', 'yaml']): OutputFormat {
  const format = (value ?? 'text') === 'table' ? 'text' : (value ?? 'text');
  if (!(allowed as string[]).includes(format)) {
    throw validationError('KF_OUTPUT_FORMAT', `unknown output format "${value}"`, { hint: `use one of: ${allowed.join(', ')}` });
  }
  return format as OutputFormat;
}

export async function formatMachine(value: unknown, format: 'json' | 'yaml'): Promise<string> {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  const yaml = await import('js-yaml');
  return yaml.dump(value, { noRefs: true, lineWidth: -1 });
}

/** Aligns rows into columns separated by at least three spaces, like kubectl and kubeadm tables. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
