import { describe, expect, it } from 'vitest';
import {
  GAP_TOLERANCE,
  PERIOD_MS,
  daysFromCivil,
  detectFrequency,
  formatIsoDate,
  parseIsoDate,
} from '../../../../src/model/data/dates.ts';

const DAY = 86_400_000;
const series = (start: number, step: number, count: number): number[] => Array.from({ length: count }, (_, i) => start + i * step);

describe('parseIsoDate', () => {
  it('agrees with Date.UTC on every day from 1899 to 2101', () => {
    // Walk day by day through leap years, century rules (1900, 2000, 2100) and month ends.
    let expected = Date.UTC(1899, 0, 1);
    for (let year = 1899; year <= 2101; year++) {
      for (let month = 1; month <= 12; month++) {
        const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
        for (let day = 1; day <= days; day++) {
          const text = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          if (parseIsoDate(text) !== expected) throw new Error(`${text}: ${parseIsoDate(text)} ≠ ${expected}`);
          expected += DAY;
        }
      }
    }
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
  });

  it('reads times as UTC unless an offset is given', () => {
    expect(parseIsoDate('2020-03-01T13:45')).toBe(Date.UTC(2020, 2, 1, 13, 45));
    expect(parseIsoDate('2020-03-01 13:45:30')).toBe(Date.UTC(2020, 2, 1, 13, 45, 30));
    expect(parseIsoDate('2020-03-01T13:45:30.250Z')).toBe(Date.UTC(2020, 2, 1, 13, 45, 30, 250));
    expect(parseIsoDate('2020-03-01T13:45:00+02:00')).toBe(Date.UTC(2020, 2, 1, 11, 45));
    expect(parseIsoDate('2020-03-01T13:45:00-0130')).toBe(Date.UTC(2020, 2, 1, 15, 15));
    expect(parseIsoDate(' 2020-03-01 ')).toBe(Date.UTC(2020, 2, 1));
  });

  it('rejects other formats and days or times that do not exist', () => {
    for (const text of ['2019-02-29', '2020-13-01', '2020-00-10', '2020-04-31', '2020-01-01T24:00', '2020-01-01T10:60',
      '2020/01/01', '20200101', '01-02-2020', '2020-1-1', '2020-01-01Z', 'tomorrow', '']) {
      expect(parseIsoDate(text), text).toBeUndefined();
    }
    expect(parseIsoDate('2020-02-29')).toBe(Date.UTC(2020, 1, 29));
  });
});

describe('formatIsoDate', () => {
  it('is the inverse of parseIsoDate', () => {
    for (const text of ['1970-01-01', '2000-02-29', '2015-11-23', '2019-11-11', '2100-12-31', '1969-07-20T20:17']) {
      expect(formatIsoDate(parseIsoDate(text) ?? Number.NaN)).toBe(text);
    }
  });
});

describe('detectFrequency', () => {
  const monday = Date.UTC(2015, 10, 23);

  it('detects hourly, daily and weekly series', () => {
    expect(detectFrequency(series(monday, PERIOD_MS.hourly, 48))).toMatchObject({ ok: true, frequency: 'hourly', absentPeriods: 0 });
    expect(detectFrequency(series(monday, PERIOD_MS.daily, 30))).toMatchObject({ ok: true, frequency: 'daily', periodMs: DAY });
    expect(detectFrequency(series(monday, PERIOD_MS.weekly, 10))).toMatchObject({ ok: true, frequency: 'weekly', absentPeriods: 0 });
  });

  it('tolerates small jitter and a few absent periods', () => {
    const dates = series(monday, DAY, 40).filter((_, i) => i !== 10 && i !== 20);
    dates[5] = (dates[5] ?? 0) + 0.9 * GAP_TOLERANCE * DAY;
    expect(detectFrequency(dates)).toMatchObject({ ok: true, frequency: 'daily', absentPeriods: 2 });
  });

  it('flags a gap that is not a whole number of periods, by index', () => {
    const dates = series(monday, 7 * DAY, 10);
    dates[6] = (dates[6] ?? 0) + 3 * DAY;
    const result = detectFrequency(dates);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.irregular).toEqual([6, 7]);
  });

  it('rejects a series with more than 10% of its periods absent', () => {
    const dates = series(monday, DAY, 30).filter((_, i) => i % 6 !== 3);
    const result = detectFrequency(dates);
    expect(result).toMatchObject({ ok: false, irregular: [] });
    if (!result.ok) expect(result.message).toMatch(/5 of 30 periods .* absent/);
  });

  it('rejects a median gap that is not hourly, daily or weekly', () => {
    const monthly = [Date.UTC(2020, 0, 1), Date.UTC(2020, 1, 1), Date.UTC(2020, 2, 1), Date.UTC(2020, 3, 1)];
    const result = detectFrequency(monthly);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/not hourly, daily or weekly/);
  });

  it('needs at least two dates', () => {
    expect(detectFrequency([monday])).toMatchObject({ ok: false });
    expect(detectFrequency([])).toMatchObject({ ok: false });
  });
});
