/**
 * llm-token-limit's token-quota-period: the fixed window after which token-quota renews. APIM
 * names Hourly, Daily, Weekly, Monthly and Yearly and does not say where windows start; Outpost
 * starts them on the UTC calendar: the hour, midnight, Monday 00:00, the 1st of the month, 1 January.
 * Read case-insensitively; "hour", "day", "week", "month" and "year" are accepted too (the spelling
 * in Microsoft's policy toolkit test data), a deviation from APIM's list.
 */
import { PolicyCompileError, type PolicyElement, type PolicyLocation } from '../pipeline/policy-element.js';

export type QuotaPeriod = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

const NAMES: ReadonlyMap<string, QuotaPeriod> = new Map<string, QuotaPeriod>([
  ['hourly', 'hourly'], ['hour', 'hourly'],
  ['daily', 'daily'], ['day', 'daily'],
  ['weekly', 'weekly'], ['week', 'weekly'],
  ['monthly', 'monthly'], ['month', 'monthly'],
  ['yearly', 'yearly'], ['year', 'yearly'],
]);

export function quotaPeriodAttr(el: PolicyElement, at: PolicyLocation, attr: string): QuotaPeriod {
  const raw = el.attrs[attr] ?? '';
  const period = NAMES.get(raw.trim().toLowerCase());
  if (period === undefined) throw new PolicyCompileError(at, attr, `must be Hourly, Daily, Weekly, Monthly or Yearly, got ${JSON.stringify(raw.slice(0, 40))}`);
  return period;
}

const HOUR = 3600;
const DAY = 86_400;
/** 1970-01-01 was a Thursday: Monday-aligned weeks start 4 days after the epoch's week start. */
const MONDAY_OFFSET = 4 * DAY;

/** The end (unix seconds) of the period holding `nowSec`. */
export function quotaPeriodEnd(period: QuotaPeriod, nowSec: number): number {
  const s = Math.floor(nowSec);
  switch (period) {
    case 'hourly': return (Math.floor(s / HOUR) + 1) * HOUR;
    case 'daily': return (Math.floor(s / DAY) + 1) * DAY;
    case 'weekly': return (Math.floor((s - MONDAY_OFFSET) / (7 * DAY)) + 1) * 7 * DAY + MONDAY_OFFSET;
    case 'monthly': {
      const d = new Date(s * 1000);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
    }
    case 'yearly': return Date.UTC(new Date(s * 1000).getUTCFullYear() + 1, 0, 1) / 1000;
  }
}
