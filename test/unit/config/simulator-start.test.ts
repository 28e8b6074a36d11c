/**
 * The keys issue 6 added: simulator.start relative to the wall clock (-7d, -12h, -90m) and
 * where a simulation then starts (src/app.ts simulationStart), influx.*, metrics.portfolios.
 */
import { describe, expect, it } from 'vitest';
import { simulationStart } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/loader.ts';
import { parseSimulatorStart } from '../../../src/config/schema.ts';
import { configError } from './helpers.ts';

const NOW = Date.parse('2026-12-02T10:37:12.345Z');
const fields = (fn: () => unknown) => configError(fn).problems.map((p) => p.field);

describe('simulator.start', () => {
  it('accepts -<n>d, -<n>h, -<n>m and ISO-8601 with a zone', () => {
    for (const start of ['-7d', '-12h', '-90m', '-0m', '2026-01-05T00:00:00Z', '2026-01-05T01:00:00+01:00']) {
      expect(loadConfig({ overrides: { simulator: { start } } }).simulator.start).toBe(start);
    }
    expect(loadConfig({ env: { SPENDFLOW_SIMULATOR_START: '-7d' } }).simulator.start).toBe('-7d');
  });

  it('rejects anything else, naming simulator.start', () => {
    for (const start of ['yesterday', '7d', '-7w', '-d', '+7d', '-7 d', '2026-01-05T00:00:00', '-1.5h']) {
      const err = configError(() => loadConfig({ overrides: { simulator: { start } } }));
      expect(err.problems.map((p) => p.field), start).toEqual(['simulator.start']);
      expect(err.message, start).toContain('simulator.start');
    }
    // From the environment, the variable is named with the key.
    expect(fields(() => loadConfig({ env: { SPENDFLOW_SIMULATOR_START: 'yesterday' } }))).toEqual(['SPENDFLOW_SIMULATOR_START (simulator.start)']);
  });

  it('parseSimulatorStart: relative values count back from the wall clock; ISO values are absolute', () => {
    expect(parseSimulatorStart('-7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseSimulatorStart('-12h', NOW)).toBe(NOW - 12 * 3_600_000);
    expect(parseSimulatorStart('-90m', NOW)).toBe(NOW - 90 * 60_000);
    expect(parseSimulatorStart('-0d', NOW)).toBe(NOW);
    expect(parseSimulatorStart('2026-01-05T00:00:00Z', NOW)).toBe(Date.parse('2026-01-05T00:00:00Z'));
    expect(parseSimulatorStart('2026-01-05T01:00:00+01:00', NOW)).toBe(Date.parse('2026-01-05T00:00:00Z'));
  });

  it('simulationStart snaps a relative start (and none) to the bucket; an exact date-time is kept as given', () => {
    const at = (start: string | null, bucketMinutes?: number) =>
      simulationStart(loadConfig({ overrides: { simulator: { start }, ...(bucketMinutes ? { ingest: { bucketMinutes } } : {}) } }), NOW);
    expect(at('-7d')).toBe(Date.parse('2026-11-25T10:00:00Z'));
    expect(at('-12h')).toBe(Date.parse('2026-12-01T22:00:00Z'));
    expect(at('-90m')).toBe(Date.parse('2026-12-02T09:00:00Z'));
    expect(at(null)).toBe(Date.parse('2026-12-02T10:00:00Z'));
    expect(at('-90m', 15)).toBe(Date.parse('2026-12-02T09:00:00Z'));
    expect(at('-7d', 15)).toBe(Date.parse('2026-11-25T10:30:00Z'));
    expect(at('2026-01-05T00:20:00Z')).toBe(Date.parse('2026-01-05T00:20:00Z'));
  });
});

describe('influx.*', () => {
  it('defaults: off, database and policy spendflow, 30d, the documented batching', () => {
    expect(loadConfig({}).influx).toEqual({
      url: null,
      database: 'spendflow',
      retentionPolicy: 'spendflow',
      retentionDuration: '30d',
      username: null,
      password: null,
      batchSize: 500,
      flushIntervalMs: 1000,
      maxBufferPoints: 50_000,
      maxRetries: 5,
      timeoutMs: 5000,
    });
  });

  it('influx.url must be an http(s) URL, naming influx.url', () => {
    for (const url of ['http://127.0.0.1:8086', 'https://influx.example.com/prefix']) {
      expect(loadConfig({ overrides: { influx: { url } } }).influx.url).toBe(url);
    }
    expect(loadConfig({ env: { SPENDFLOW_INFLUX_URL: 'http://influx:8086' } }).influx.url).toBe('http://influx:8086');
    for (const url of ['ftp://influx:21', 'influx:8086', 'not a url', '']) {
      const err = configError(() => loadConfig({ overrides: { influx: { url } } }));
      expect(err.problems.map((p) => p.field), url).toEqual(['influx.url']);
    }
  });

  it('names and durations InfluxDB accepts; every problem reported at once', () => {
    expect(loadConfig({ overrides: { influx: { retentionDuration: '12w', database: 'a_b-1' } } }).influx.retentionDuration).toBe('12w');
    expect(loadConfig({ overrides: { influx: { retentionDuration: 'INF' } } }).influx.retentionDuration).toBe('INF');
    expect(
      fields(() => loadConfig({ overrides: { influx: { database: 'has space', retentionPolicy: 'a.b', retentionDuration: '30 days', batchSize: 0, flushIntervalMs: 5 } } })).sort(),
    ).toEqual(['influx.batchSize', 'influx.database', 'influx.flushIntervalMs', 'influx.retentionDuration', 'influx.retentionPolicy']);
  });
});

describe('metrics.portfolios', () => {
  it('defaults to none; a list of identifiers; each bad item named', () => {
    expect(loadConfig({}).metrics.portfolios).toEqual([]);
    expect(loadConfig({ overrides: { metrics: { portfolios: ['demo-shop', 'b.2:x'] } } }).metrics.portfolios).toEqual(['demo-shop', 'b.2:x']);
    const err = configError(() => loadConfig({ overrides: { metrics: { portfolios: ['ok', 'has space', 'a/b'] } } }));
    expect(err.problems.map((p) => p.field)).toEqual(['metrics.portfolios']);
    expect(err.problems[0]!.message).toContain('item 1');
    expect(err.problems[0]!.message).toContain('item 2');
    expect(fields(() => loadConfig({ overrides: { metrics: { portfolios: 'demo-shop' } } }))).toEqual(['metrics.portfolios']);
  });

  it('SPENDFLOW_METRICS_PORTFOLIOS is comma separated', () => {
    expect(loadConfig({ env: { SPENDFLOW_METRICS_PORTFOLIOS: 'a,b' } }).metrics.portfolios).toEqual(['a', 'b']);
    expect(loadConfig({ env: { SPENDFLOW_METRICS_PORTFOLIOS: 'demo-shop' } }).metrics.portfolios).toEqual(['demo-shop']);
    expect(fields(() => loadConfig({ env: { SPENDFLOW_METRICS_PORTFOLIOS: 'a,b c' } }))).toEqual(['SPENDFLOW_METRICS_PORTFOLIOS (metrics.portfolios)']);
  });
});
