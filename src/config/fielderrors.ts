/**
 * kubeadm-style field errors (k8s.io/apimachinery/pkg/util/validation/field):
 * `localAPIEndpoint.advertiseAddress: Invalid value: "1.2.3": ip address is not valid`.
 * Shared by the validators; secrets are redacted before they reach a message.
 */

export type FieldErrors = string[];

export function invalid(errors: FieldErrors, path: string, value: unknown, detail: string): void {
  errors.push(`${path}: Invalid value: ${formatValue(value)}: ${detail}`);
}

export function required(errors: FieldErrors, path: string, detail: string): void {
  errors.push(`${path}: Required value: ${detail}`);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ')}}`;
  }
  return String(value);
}

/** `abcdef.0123456789abcdef` → `abcdef.****************`; a value without an id shows only its length. */
export function redactToken(token: string): string {
  const dot = token.indexOf('.');
  if (dot < 0) return token === '' ? '' : `<redacted, ${token.length} characters>`;
  return `${token.slice(0, dot)}.${'*'.repeat(token.length - dot - 1)}`;
}
