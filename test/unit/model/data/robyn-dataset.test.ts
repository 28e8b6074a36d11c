import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../src/model/data/csv.ts';
import { prepareHistory } from '../../../../src/model/data/prepare-history.ts';
import { scaleColumns, unscaleColumns } from '../../../../src/model/data/scale.ts';

// The public Robyn sample (MIT, Meta); facts in ../shared/datasets/SOURCES.md. The repository root
// is four levels up from this directory; the dataset sits beside the repository, in ../shared.
const HERE = dirname(fileURLToPath(import.meta.url));
const DATASET = resolve(HERE, '../../../../../shared/datasets/robyn_dt_simulated_weekly.csv');
const CHANNELS = ['tv_S', 'ooh_S', 'print_S', 'facebook_S', 'search_S'];

describe('the Robyn simulated weekly dataset', () => {
  const table = parseCsv(readFileSync(DATASET, 'utf8'));
  const history = prepareHistory(table, {
    date: 'DATE',
    target: 'revenue',
    channels: CHANNELS,
    controls: ['competitor_sales_B', 'events'],
  });

  it('has 208 complete weekly rows from 2015-11-23 to 2019-11-11', () => {
    expect(table.rows).toHaveLength(208);
    expect(history.report.rows).toBe(208);
    expect(history.report.droppedRows).toEqual([]);
    expect(history.report.imputed).toEqual([]);
    expect(history.frequency).toBe('weekly');
    expect(history.dates[0]).toBe(Date.UTC(2015, 10, 23));
    expect(history.dates.at(-1)).toBe(Date.UTC(2019, 10, 11));
    expect(history.report.absentPeriods).toBe(0);
    expect(history.target).toHaveLength(208);
    expect(history.target.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  });

  it('has non-negative spend in every channel', () => {
    expect(Object.keys(history.spend)).toEqual(CHANNELS);
    for (const channel of CHANNELS) {
      const spend = history.spend[channel];
      expect(spend, channel).toHaveLength(208);
      expect(spend?.every((v) => v >= 0), channel).toBe(true);
      expect(spend?.some((v) => v > 0), channel).toBe(true);
    }
  });

  it('keeps competitor sales numeric and one-hot encodes events against "na"', () => {
    expect(history.report.oneHot).toEqual({ events: ['event1', 'event2', 'na'] });
    expect(history.report.oneHotReference).toEqual({ events: 'na' });
    expect(history.controls.names).toEqual(['competitor_sales_B', 'events_event1', 'events_event2']);
    const [competitor, event1, event2] = history.controls.values;
    expect(competitor?.[0]).toBe(8125009);
    expect(competitor?.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    // One week each of event1 and event2; the other 206 weeks are "na".
    expect(event1?.reduce((s, v) => s + v, 0)).toBe(1);
    expect(event2?.reduce((s, v) => s + v, 0)).toBe(1);
  });

  it('scales spend to O(1) and converts back exactly', () => {
    const { factors, scaled } = scaleColumns(history.spend);
    for (const channel of CHANNELS) {
      const active = [...(scaled[channel] ?? [])].filter((v) => v > 0);
      const mean = active.reduce((s, v) => s + v, 0) / active.length;
      expect(mean, channel).toBeCloseTo(1, 12);
      expect(factors[channel], channel).toBeGreaterThan(1);
    }
    const back = unscaleColumns(scaled, factors);
    for (const channel of CHANNELS) {
      const original = history.spend[channel] ?? new Float64Array();
      back[channel]?.forEach((v, t) => expect(v).toBeCloseTo(original[t] ?? Number.NaN, 6));
    }
  });
});
