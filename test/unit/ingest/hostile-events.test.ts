import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.ts';
import { PortfolioDirectory, decodeRecord, type Decoded } from '../../../src/ingest/decode.ts';
import { checkEventTime } from '../../../src/ingest/event-time.ts';
import { HOSTILE_FAMILIES, hostileRecords, type HostileRecord } from '../../support/hostile-events.ts';

const config = loadConfig({});
const directory = new PortfolioDirectory(config.portfolios);
const NOW = Date.UTC(2026, 2, 14, 9, 26, 53, 589);
const COUNT = 10_000;
const options = {
  portfolios: config.portfolios,
  now: NOW,
  maxEventBytes: config.ingest.maxEventBytes,
  maxJumpHours: config.ingest.maxEventTimeJumpHours,
  maxAgeHours: config.ingest.maxEventAgeHours,
  seed: 5,
};

type Rejection = Extract<Decoded, { ok: false }>;

/** What the pipeline does before bucketing: decode, then the event-time bounds (a fresh portfolio: no latest event time). */
function judge(record: HostileRecord): Rejection | null {
  const decoded = decodeRecord(record, directory, { maxEventBytes: config.ingest.maxEventBytes });
  if (!decoded.ok) return decoded;
  const problem = checkEventTime(decoded.event.ts, {
    latestEventTime: -Infinity,
    wallNow: NOW,
    maxJumpHours: config.ingest.maxEventTimeJumpHours,
    maxAgeHours: config.ingest.maxEventAgeHours,
  });
  return problem ? { ok: false, reason: 'invalid', error: `${problem.field}: ${problem.message}`, problems: [problem] } : null;
}

describe('10,000 hostile records (issue 5)', () => {
  const records = hostileRecords(COUNT, options);

  it('is deterministic for a seed and differs for another', () => {
    const again = hostileRecords(200, options);
    expect(again).toEqual(records.slice(0, 200));
    expect(hostileRecords(200, { ...options, seed: 6 }).map((r) => r.value)).not.toEqual(again.map((r) => r.value));
  });

  it('covers every family in equal turns, the counts adding up to 10,000', () => {
    const perFamily = new Map<string, number>();
    for (const r of records) perFamily.set(r.family, (perFamily.get(r.family) ?? 0) + 1);
    expect([...perFamily.keys()].sort()).toEqual([...HOSTILE_FAMILIES].sort());
    const counts = [...perFamily.values()];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(COUNT);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(new Set(records.map((r) => r.expected))).toEqual(new Set(['too_large', 'malformed_json', 'invalid', 'unknown_portfolio', 'unknown_channel']));
  });

  it('rejects every record with exactly its expected reason, a non-empty error and field-named problems, never throwing', () => {
    const wrong: string[] = [];
    const byReason = new Map<string, number>();
    for (const record of records) {
      let rejection: Rejection | null;
      try {
        rejection = judge(record);
      } catch (err) {
        wrong.push(`#${record.offset} ${record.variant}: threw ${String(err)}`);
        continue;
      }
      if (rejection === null) {
        wrong.push(`#${record.offset} ${record.variant}: accepted, expected ${record.expected}`);
        continue;
      }
      byReason.set(rejection.reason, (byReason.get(rejection.reason) ?? 0) + 1);
      if (rejection.reason !== record.expected) wrong.push(`#${record.offset} ${record.variant}: ${rejection.reason}, expected ${record.expected} (${rejection.error.slice(0, 200)})`);
      if (rejection.error.trim() === '') wrong.push(`#${record.offset} ${record.variant}: empty error`);
      if (rejection.problems.length === 0) wrong.push(`#${record.offset} ${record.variant}: no field problem`);
      for (const p of rejection.problems) {
        if (p.field.trim() === '' || p.message.trim() === '') wrong.push(`#${record.offset} ${record.variant}: blank problem ${JSON.stringify(p)}`);
      }
      if (rejection.error !== rejection.problems.map((p) => `${p.field}: ${p.message}`).join('; ')) wrong.push(`#${record.offset} ${record.variant}: error does not list the problems`);
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    expect([...byReason.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);
  });

  it('keeps the reported problems small: an error is at most a few kilobytes whatever the record', () => {
    const longest = Math.max(...records.map((r) => judge(r)?.error.length ?? 0));
    expect(longest).toBeLessThan(4096);
  });

  it('leaves Object.prototype alone (a "__proto__" field is just an unknown field)', () => {
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('hostile records against a small size limit', () => {
  it('marks whatever exceeds the limit too_large, and the decoder agrees', () => {
    const small = { ...options, maxEventBytes: 256, seed: 11 };
    const records = hostileRecords(1800, small);
    const mismatched = records.filter((r) => {
      const d = decodeRecord(r, directory, { maxEventBytes: 256 });
      const reason = d.ok ? checkEventTime(d.event.ts, { latestEventTime: -Infinity, wallNow: NOW, maxJumpHours: small.maxJumpHours, maxAgeHours: small.maxAgeHours }) && 'invalid' : d.reason;
      return reason !== r.expected;
    });
    expect(mismatched.map((r) => `${r.variant}: expected ${r.expected}`).slice(0, 10)).toEqual([]);
    expect(records.filter((r) => r.expected === 'too_large').length).toBeGreaterThan(100);
  });
});
