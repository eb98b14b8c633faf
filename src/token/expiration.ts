/**
 * A bootstrap token's `expiration`: RFC 3339 only, as Go's time.Parse(time.RFC3339, ...) reads
 * it (cluster-bootstrap's GetExpiration, kubeadm's BootstrapTokenFromSecret, metav1.Time in a
 * config file). Date.parse is no judge here: it also takes dates without a zone, RFC 1123
 * dates and February 30th, and the API server, the cleaner and `token list` must agree.
 */

/** Go's time.RFC3339 in UTC: `2006-01-02T15:04:05Z`. */
export function formatRFC3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** The instant an RFC 3339 text names, or undefined when Go's parser would refuse it. */
export function parseRFC3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offsetMs = (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // years below 100 stay themselves (Date.UTC maps them to 19xx)
  utc.setUTCHours(hour, minute, second, ms);
  return new Date(utc.getTime() - offsetMs);
}

export type TokenExpiration = { kind: 'none' } | { kind: 'expired' } | { kind: 'expires'; inMs: number };

/**
 * cluster-bootstrap's GetExpiration for an `expiration` value ('' when absent): none, expired
 * (also when it does not parse: such a token is neither trusted nor kept), or the time left.
 */
export function tokenExpiration(expiration: string, now: Date): TokenExpiration {
  if (expiration === '') return { kind: 'none' };
  const at = parseRFC3339(expiration);
  if (!at) return { kind: 'expired' };
  const inMs = at.getTime() - now.getTime();
  return inMs <= 0 ? { kind: 'expired' } : { kind: 'expires', inMs };
}
