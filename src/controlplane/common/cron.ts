/**
 * CronJob schedules as upstream reads them (robfig/cron's ParseStandard): five fields, the
 * `@yearly`/`@annually`/`@monthly`/`@weekly`/`@daily`/`@midnight`/`@hourly` macros,
 * `@every <duration>`, and a leading `TZ=`/`CRON_TZ=` zone; a CronJob's spec.timeZone wins.
 * Field arithmetic, day-of-week names and daylight-saving jumps come from cron-parser. Pure:
 * shared by the API server's validation and the cronjob controller.
 */
import { CronExpressionParser } from 'cron-parser';

export interface CronSchedule {
  /** The first activation strictly after `after` (ms since the epoch). */
  next(after: number): number;
  /** The most recent activation in (earliest, now], and how many activations that range holds (capped at 101). */
  mostRecent(earliest: number, now: number): { time: number; missed: number } | undefined;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const MISSED_CAP = 101;

/** Go's time.ParseDuration for the units a schedule would use (h, m, s, ms). */
function goDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) return undefined;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0);
}

/** Whether the IANA zone is known (and explicit: upstream refuses `Local`). */
export function isKnownTimeZone(zone: string): boolean {
  if (zone === '' || zone.toLowerCase() === 'local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule; throws an Error whose message says what is wrong (robfig's wording where it has one). */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  let spec = schedule.trim();
  let zone = timeZone;
  const prefix = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(spec);
  if (prefix) {
    zone ??= prefix[1];
    spec = spec.slice(prefix[0].length);
  }
  if (zone !== undefined && !isKnownTimeZone(zone)) throw new Error(`provided bad location ${zone}: unknown time zone ${zone}`);
  if (spec.startsWith('@every ')) {
    const every = goDuration(spec.slice(7).trim());
    if (every === undefined) throw new Error(`failed to parse duration ${spec}: time: invalid duration "${spec.slice(7).trim()}"`);
    // robfig rounds the delay up to a whole second.
    const step = Math.max(1000, Math.ceil(every / 1000) * 1000);
    return {
      next: (after) => Math.floor(after / 1000) * 1000 + step,
      mostRecent(earliest, now) {
        const n = Math.floor((now - earliest) / step);
        return n < 1 ? undefined : { time: earliest + n * step, missed: Math.min(n, MISSED_CAP) };
      },
    };
  }
  if (spec.startsWith('@')) {
    const expanded = MACROS[spec];
    if (!expanded) throw new Error(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const at = (ms: number) => CronExpressionParser.parse(spec, { currentDate: new Date(ms), ...(zone ? { tz: zone } : {}) });
  at(0); // validates now
  return {
    next: (after) => at(after).next().getTime(),
    mostRecent(earliest, now) {
      const time = at(now + 1).prev().getTime();
      if (time <= earliest) return undefined;
      let missed = 0;
      const walk = at(earliest);
      while (missed < MISSED_CAP && walk.next().getTime() <= now) missed++;
      return { time, missed };
    },
  };
}
