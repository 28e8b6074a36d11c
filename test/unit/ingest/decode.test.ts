import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/loader.ts';
import { PortfolioDirectory, deadLetterFor, decodeRecord, type Decoded } from '../../../src/ingest/decode.ts';
import type { SourceRecord } from '../../../src/ports.ts';

const config = defaultConfig();
const directory = new PortfolioDirectory(config.portfolios);
const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
const search = shop.channels.find((c) => c.id === 'search')!;
const display = shop.channels.find((c) => c.id === 'display')!;

const spendBody = (over: Record<string, unknown> = {}) => ({
  eventId: 'e-1', portfolioId: shop.id, channelId: search.id, platform: search.platform,
  ts: '2026-01-05T10:00:00Z', amount: 10, currency: shop.currency, ...over,
});
const saleBody = (over: Record<string, unknown> = {}) => ({
  eventId: 's-1', portfolioId: shop.id, ts: '2026-01-05T10:00:00Z', revenue: 40, orders: 1, ...over,
});

function record(kind: 'spend' | 'sales', value: string | object, over: Partial<SourceRecord> = {}): SourceRecord {
  return { topic: `spendflow.${kind}`, kind, key: shop.id, value: typeof value === 'string' ? value : JSON.stringify(value), ...over };
}

function rejection(decoded: Decoded): Extract<Decoded, { ok: false }> {
  expect(decoded.ok).toBe(false);
  if (decoded.ok) throw new Error('expected a rejection');
  return decoded;
}

describe('decodeRecord: accepted', () => {
  it('accepts a spend event of a configured channel, on its platform, in the portfolio currency', () => {
    const decoded = decodeRecord(record('spend', spendBody()), directory);
    expect(decoded).toEqual({
      ok: true,
      event: {
        kind: 'spend', eventId: 'e-1', portfolioId: shop.id, channelId: search.id, platform: search.platform,
        ts: Date.UTC(2026, 0, 5, 10), amount: 10, currency: shop.currency,
      },
    });
  });

  it('accepts unattributed and attributed sales, with or without currency', () => {
    expect(decodeRecord(record('sales', saleBody()), directory).ok).toBe(true);
    expect(decodeRecord(record('sales', saleBody({ channelId: display.id, currency: shop.currency })), directory).ok).toBe(true);
  });
});

describe('decodeRecord: rejected', () => {
  it.each(['{"eventId":', 'not json', '', '{"a":1}}'])('malformed JSON %j → malformed_json', (value) => {
    const r = rejection(decodeRecord(record('spend', value), directory));
    expect(r.reason).toBe('malformed_json');
    expect(r.problems.map((p) => p.field)).toEqual(['(root)']);
  });

  it('a JSON value that is not an object → invalid at the root', () => {
    const r = rejection(decodeRecord(record('spend', '[1,2]'), directory));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['(root)']);
  });

  it('a missing field → invalid, naming the field in problems and error', () => {
    const body: Record<string, unknown> = spendBody();
    delete body['amount'];
    const r = rejection(decodeRecord(record('spend', body), directory));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['amount']);
    expect(r.error).toMatch(/^amount: /);
  });

  it('a negative amount → invalid', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ amount: -1 })), directory));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['amount']);
  });

  it('an unknown portfolio → unknown_portfolio (spend and sales)', () => {
    for (const rec of [record('spend', spendBody({ portfolioId: 'nope' })), record('sales', saleBody({ portfolioId: 'nope' }))]) {
      const r = rejection(decodeRecord(rec, directory));
      expect(r.reason).toBe('unknown_portfolio');
      expect(r.problems.map((p) => p.field)).toEqual(['portfolioId']);
      expect(r.error).toContain('nope');
    }
  });

  it('an unknown channel → unknown_channel', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ channelId: 'tv' })), directory));
    expect(r.reason).toBe('unknown_channel');
    expect(r.problems.map((p) => p.field)).toEqual(['channelId']);
    expect(r.error).toContain('tv');
  });

  it('a channel of another portfolio is unknown in this one', () => {
    const outdoorOnly = config.portfolios.find((p) => p.id === 'demo-outdoor')!.channels
      .find((c) => !shop.channels.some((s) => s.id === c.id))!;
    const r = rejection(decodeRecord(record('spend', spendBody({ channelId: outdoorOnly.id, platform: outdoorOnly.platform })), directory));
    expect(r.reason).toBe('unknown_channel');
  });

  it('an attributed sale with an unknown channel → unknown_channel', () => {
    const r = rejection(decodeRecord(record('sales', saleBody({ channelId: 'tv' })), directory));
    expect(r.reason).toBe('unknown_channel');
    expect(r.problems.map((p) => p.field)).toEqual(['channelId']);
  });

  it('a currency mismatch → invalid on currency (spend and sales)', () => {
    const other = shop.currency === 'USD' ? 'GBP' : 'USD';
    for (const rec of [record('spend', spendBody({ currency: other })), record('sales', saleBody({ currency: other }))]) {
      const r = rejection(decodeRecord(rec, directory));
      expect(r.reason).toBe('invalid');
      expect(r.problems.map((p) => p.field)).toEqual(['currency']);
      expect(r.error).toContain(other);
    }
  });

  it('a platform mismatch → invalid on platform', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ platform: 'not-' + search.platform })), directory));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['platform']);
  });

  it('currency and platform mismatches are reported together', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ platform: 'other', currency: 'JPY' })), directory));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field).sort()).toEqual(['currency', 'platform']);
    expect(r.error.split('; ')).toHaveLength(2);
  });
});

describe('PortfolioDirectory', () => {
  it('finds portfolios and their channels by id', () => {
    expect(directory.get(shop.id)).toBe(shop);
    expect(directory.get('nope')).toBeUndefined();
    expect(directory.channel(shop.id, search.id)).toBe(search);
    expect(directory.channel(shop.id, 'nope')).toBeUndefined();
    expect(directory.channel('nope', search.id)).toBeUndefined();
    expect(directory.all().map((p) => p.id)).toEqual(config.portfolios.map((p) => p.id));
  });
});

describe('deadLetterFor', () => {
  it('keeps the original payload byte for byte, the key and topic/partition/offset', () => {
    const payload = '{"eventId":"e-9", "amount": -3 ,"weird":"\\u00e9"}';
    const rec = record('spend', payload, { topic: 'raw.spend', key: 'k-7', partition: 3, offset: '12345' });
    const decoded = rejection(decodeRecord(rec, directory));
    const receivedAt = Date.UTC(2026, 0, 5, 10, 0, 1, 500);
    const letter = deadLetterFor(rec, decoded, receivedAt);
    expect(letter).toEqual({
      reason: 'invalid',
      error: decoded.error,
      fields: decoded.problems,
      source: { topic: 'raw.spend', partition: 3, offset: '12345' },
      key: 'k-7',
      payload,
      receivedAt: '2026-01-05T10:00:01.500Z',
    });
  });

  it('omits partition and offset when the record has none and keeps a null key', () => {
    const rec = record('sales', 'oops', { key: null });
    const letter = deadLetterFor(rec, rejection(decodeRecord(rec, directory)), 0);
    expect(letter.reason).toBe('malformed_json');
    expect(letter.source).toEqual({ topic: 'spendflow.sales' });
    expect(letter.key).toBeNull();
    expect(letter.payload).toBe('oops');
    expect(letter.receivedAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('keeps partition 0 (a falsy but present value)', () => {
    const rec = record('spend', '{', { partition: 0, offset: '0' });
    expect(deadLetterFor(rec, rejection(decodeRecord(rec, directory)), 0).source).toEqual({ topic: 'spendflow.spend', partition: 0, offset: '0' });
  });
});
