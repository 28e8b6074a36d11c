/**
 * Dates of a history file: ISO 8601 text to epoch milliseconds (UTC), and the series' frequency.
 * Pure: the calendar arithmetic is done here (days from the civil date), not by `Date`.
 */

export type Frequency = 'hourly' | 'daily' | 'weekly';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The length of one period of each supported frequency, in milliseconds. */
export const PERIOD_MS: Readonly<Record<Frequency, number>> = {
  hourly: HOUR_MS,
  daily: DAY_MS,
  weekly: 7 * DAY_MS,
};

/**
 * How far a gap may be from a whole number of periods, as a share of one period: ±5% (about
 * ±3 minutes hourly, ±72 minutes daily, ±8.4 hours weekly). The median gap must also be within 5%
 * of one period for the frequency to be recognised.
 */
export const GAP_TOLERANCE = 0.05;

/**
 * The largest share of periods between the first and last date that may be absent (gaps of more
 * than one period) before the series counts as irregular: 10%.
 */
export const MAX_ABSENT_SHARE = 0.1;

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1–12), via 400-year eras. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Parses `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM`, `HH:MM:SS` or
 * `HH:MM:SS.fff`, optionally followed by `Z` or an offset `±HH:MM` / `±HHMM`. Without an offset
 * the time is taken as UTC. Returns epoch milliseconds, or undefined when the text is not such a
 * date or names a day or time that does not exist (2019-02-29, 24:00).
 */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text.trim());
  if (m === null) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return daysFromCivil(year, month, day) * DAY_MS + hour * HOUR_MS + minute * 60_000 + second * 1000 + millis - offsetMinutes * 60_000;
}

/** `YYYY-MM-DD` (UTC) of epoch milliseconds, with `THH:MM` when the time is not midnight. */
export function formatIsoDate(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const rest = ms - days * DAY_MS;
  // civil from days (inverse of daysFromCivil)
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (v: number, width = 2): string => String(v).padStart(width, '0');
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (rest === 0) return date;
  return `${date}T${pad(Math.floor(rest / HOUR_MS))}:${pad(Math.floor((rest % HOUR_MS) / 60_000))}`;
}

export type FrequencyResult =
  | {
      readonly ok: true;
      readonly frequency: Frequency;
      readonly periodMs: number;
      /** Periods absent between the first and last date (Σ over gaps of whole periods − 1). */
      readonly absentPeriods: number;
    }
  | {
      readonly ok: false;
      readonly message: string;
      /** Indices i (into the sorted dates) whose gap from date i − 1 is not a whole number of periods. */
      readonly irregular: readonly number[];
    };

/**
 * Detects the frequency of strictly increasing dates from the median gap between neighbours, then
 * checks that the series is regular: every gap within `GAP_TOLERANCE` of a whole number of
 * periods, and at most `MAX_ABSENT_SHARE` of the periods in the span absent.
 */
export function detectFrequency(sortedDates: readonly number[]): FrequencyResult {
  if (sortedDates.length < 2) {
    return { ok: false, message: `need at least 2 dated rows to detect the frequency (found ${sortedDates.length})`, irregular: [] };
  }
  const gaps: number[] = [];
  for (let i = 1; i < sortedDates.length; i++) gaps.push((sortedDates[i] ?? 0) - (sortedDates[i - 1] ?? 0));
  const ordered = [...gaps].sort((a, b) => a - b);
  const mid = ordered.length >> 1;
  const median = ordered.length % 2 === 1 ? (ordered[mid] ?? 0) : ((ordered[mid - 1] ?? 0) + (ordered[mid] ?? 0)) / 2;
  const match = (Object.entries(PERIOD_MS) as [Frequency, number][]).find(
    ([, period]) => Math.abs(median - period) <= GAP_TOLERANCE * period,
  );
  if (match === undefined) {
    return {
      ok: false,
      message: `the median gap between dates is ${(median / HOUR_MS).toFixed(2)} hours, which is not hourly, daily or weekly (±${GAP_TOLERANCE * 100}%)`,
      irregular: [],
    };
  }
  const [frequency, periodMs] = match;
  const irregular: number[] = [];
  let absentPeriods = 0;
  gaps.forEach((gap, i) => {
    const periods = Math.round(gap / periodMs);
    if (periods < 1 || Math.abs(gap - periods * periodMs) > GAP_TOLERANCE * periodMs) irregular.push(i + 1);
    else absentPeriods += periods - 1;
  });
  if (irregular.length > 0) {
    return { ok: false, message: `irregular ${frequency} series: gap is not a whole number of periods (±${GAP_TOLERANCE * 100}%)`, irregular };
  }
  const spanPeriods = absentPeriods + sortedDates.length;
  if (absentPeriods > MAX_ABSENT_SHARE * spanPeriods) {
    return {
      ok: false,
      message: `irregular ${frequency} series: ${absentPeriods} of ${spanPeriods} periods between the first and last date are absent (at most ${MAX_ABSENT_SHARE * 100}% may be)`,
      irregular: [],
    };
  }
  return { ok: true, frequency, periodMs, absentPeriods };
}
