import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/loader.ts';
import { PortfolioDirectory, TOO_LARGE_PAYLOAD_CHARS, deadLetterFor, decodeRecord, type Decoded } from '../../../src/ingest/decode.ts';
import type { SourceRecord } from '../../../src/ports.ts';

const config = defaultConfig();
const directory = new PortfolioDirectory(config.portfolios);
const limits = { maxEventBytes: config.ingest.maxEventBytes };
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
    const decoded = decodeRecord(record('spend', spendBody()), directory, limits);
    expect(decoded).toEqual({
      ok: true,
      event: {
        kind: 'spend', eventId: 'e-1', portfolioId: shop.id, channelId: search.id, platform: search.platform,
        ts: Date.UTC(2026, 0, 5, 10), amount: 10, currency: shop.currency,
      },
    });
  });

  it('accepts unattributed and attributed sales, with or without currency', () => {
    expect(decodeRecord(record('sales', saleBody()), directory, limits).ok).toBe(true);
    expect(decodeRecord(record('sales', saleBody({ channelId: display.id, currency: shop.currency })), directory, limits).ok).toBe(true);
  });
});

describe('decodeRecord: rejected', () => {
  it.each(['{"eventId":', 'not json', '', '{"a":1}}'])('malformed JSON %j → malformed_json', (value) => {
    const r = rejection(decodeRecord(record('spend', value), directory, limits));
    expect(r.reason).toBe('malformed_json');
    expect(r.problems.map((p) => p.field)).toEqual(['(root)']);
  });

  it('a JSON value that is not an object → invalid at the root', () => {
    const r = rejection(decodeRecord(record('spend', '[1,2]'), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['(root)']);
  });

  it('a missing field → invalid, naming the field in problems and error', () => {
    const body: Record<string, unknown> = spendBody();
    delete body['amount'];
    const r = rejection(decodeRecord(record('spend', body), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['amount']);
    expect(r.error).toMatch(/^amount: /);
  });

  it('a negative amount → invalid', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ amount: -1 })), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['amount']);
  });

  it('an unknown portfolio → unknown_portfolio (spend and sales)', () => {
    for (const rec of [record('spend', spendBody({ portfolioId: 'nope' })), record('sales', saleBody({ portfolioId: 'nope' }))]) {
      const r = rejection(decodeRecord(rec, directory, limits));
      expect(r.reason).toBe('unknown_portfolio');
      expect(r.problems.map((p) => p.field)).toEqual(['portfolioId']);
      expect(r.error).toContain('nope');
    }
  });

  it('an unknown channel → unknown_channel', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ channelId: 'tv' })), directory, limits));
    expect(r.reason).toBe('unknown_channel');
    expect(r.problems.map((p) => p.field)).toEqual(['channelId']);
    expect(r.error).toContain('tv');
  });

  it('a channel of another portfolio is unknown in this one', () => {
    const outdoorOnly = config.portfolios.find((p) => p.id === 'demo-outdoor')!.channels
      .find((c) => !shop.channels.some((s) => s.id === c.id))!;
    const r = rejection(decodeRecord(record('spend', spendBody({ channelId: outdoorOnly.id, platform: outdoorOnly.platform })), directory, limits));
    expect(r.reason).toBe('unknown_channel');
  });

  it('an attributed sale with an unknown channel → unknown_channel', () => {
    const r = rejection(decodeRecord(record('sales', saleBody({ channelId: 'tv' })), directory, limits));
    expect(r.reason).toBe('unknown_channel');
    expect(r.problems.map((p) => p.field)).toEqual(['channelId']);
  });

  it('a currency mismatch → invalid on currency (spend and sales)', () => {
    const other = shop.currency === 'USD' ? 'GBP' : 'USD';
    for (const rec of [record('spend', spendBody({ currency: other })), record('sales', saleBody({ currency: other }))]) {
      const r = rejection(decodeRecord(rec, directory, limits));
      expect(r.reason).toBe('invalid');
      expect(r.problems.map((p) => p.field)).toEqual(['currency']);
      expect(r.error).toContain(other);
    }
  });

  it('a platform mismatch → invalid on platform', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ platform: 'not-' + search.platform })), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['platform']);
  });

  it('currency and platform mismatches are reported together', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ platform: 'other', currency: 'JPY' })), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field).sort()).toEqual(['currency', 'platform']);
    expect(r.error.split('; ')).toHaveLength(2);
  });
});

describe('decodeRecord: size limit', () => {
  const small = { maxEventBytes: 256 };
  // A valid spend event, padded with insignificant whitespace to exactly `bytes` bytes.
  const padded = (bytes: number) => {
    const json = JSON.stringify(spendBody());
    return json.slice(0, -1) + ' '.repeat(bytes - Buffer.byteLength(json)) + '}';
  };

  it('accepts a valid record of exactly maxEventBytes and rejects one byte more as too_large, unparsed', () => {
    expect(decodeRecord(record('spend', padded(256)), directory, small).ok).toBe(true);
    const r = rejection(decodeRecord(record('spend', padded(257)), directory, small));
    expect(r.reason).toBe('too_large');
    expect(r.problems).toEqual([{ field: '(root)', message: 'is 257 bytes, more than the limit of 256 bytes (ingest.maxEventBytes); not parsed' }]);
    expect(r.error).toBe(`(root): ${r.problems[0]!.message}`);
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 100 characters of 3 bytes each: 100 characters, 300 bytes.
    const r = rejection(decodeRecord(record('spend', '€'.repeat(100)), directory, small));
    expect(r.reason).toBe('too_large');
    expect(r.error).toContain('300 bytes');
    // 4-byte characters (surrogate pairs): 64 of them are 128 characters and 256 bytes, within the limit.
    expect(rejection(decodeRecord(record('spend', '😀'.repeat(64)), directory, small)).reason).toBe('malformed_json');
    expect(rejection(decodeRecord(record('spend', '😀'.repeat(65)), directory, small)).reason).toBe('too_large');
  });

  it('rejects an oversized record even when it would be valid JSON, and keeps only a prefix of it in the dead letter', () => {
    const rec = record('spend', padded(100_000));
    const decoded = rejection(decodeRecord(rec, directory, limits));
    expect(decoded.reason).toBe('too_large');
    const letter = deadLetterFor(rec, decoded, 0);
    expect(letter.payload).toBe(rec.value.slice(0, TOO_LARGE_PAYLOAD_CHARS));
  });

  it('does not split a surrogate pair when cutting the payload', () => {
    const rec = record('spend', 'x'.repeat(TOO_LARGE_PAYLOAD_CHARS - 1) + '😀'.repeat(40_000));
    const letter = deadLetterFor(rec, rejection(decodeRecord(rec, directory, limits)), 0);
    expect(letter.payload).toBe('x'.repeat(TOO_LARGE_PAYLOAD_CHARS - 1));
  });
});

describe('decodeRecord: hostile shapes get a clear reason and message', () => {
  it('a byte order mark → malformed_json saying so', () => {
    const r = rejection(decodeRecord(record('spend', '\uFEFF' + JSON.stringify(spendBody())), directory, limits));
    expect(r.reason).toBe('malformed_json');
    expect(r.problems).toEqual([{ field: '(root)', message: expect.stringMatching(/byte order mark/) }]);
  });

  it('an empty or blank value → malformed_json saying so', () => {
    expect(rejection(decodeRecord(record('spend', ''), directory, limits)).error).toBe('(root): is not valid JSON (the value is empty)');
    expect(rejection(decodeRecord(record('spend', ' \n'), directory, limits)).error).toBe('(root): is not valid JSON (the value is only whitespace)');
  });

  it.each([['null', 'null'], ['42', 'a number'], ['"spend"', 'a string'], ['[{}]', 'an array'], ['true', 'a boolean']])('the JSON value %s → invalid, naming its type', (value, type) => {
    const r = rejection(decodeRecord(record('sales', value), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems).toEqual([{ field: '(root)', message: `must be a JSON object (got ${type})` }]);
  });

  it('a deeply nested value → invalid on the field, without a stack overflow', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const value = JSON.stringify(spendBody()).replace('"amount":10', `"amount":${deep}`);
    const r = rejection(decodeRecord(record('spend', value), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems).toEqual([{ field: 'amount', message: 'must be a finite number (got an array)' }]);
  });

  it('"NaN" and "Infinity" as strings → invalid, saying numbers go unquoted', () => {
    const r = rejection(decodeRecord(record('spend', spendBody({ amount: 'NaN', clicks: 'Infinity' })), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems.map((p) => p.field)).toEqual(['amount', 'clicks']);
    expect(r.problems[0]!.message).toBe('must be a finite number, not a string (got "NaN"; send numbers unquoted)');
  });

  it('a number literal too large for a double (1e400) → invalid, not finite', () => {
    const value = JSON.stringify(spendBody()).replace('"amount":10', '"amount":1e400');
    expect(rejection(decodeRecord(record('spend', value), directory, limits)).problems).toEqual([{ field: 'amount', message: 'must be a finite number (got Infinity)' }]);
  });

  it('a lone surrogate in an unknown key is reported as U+FFFD', () => {
    const value = JSON.stringify(spendBody()).slice(0, -1) + ',"x\\ud800":1}';
    const r = rejection(decodeRecord(record('spend', value), directory, limits));
    expect(r.reason).toBe('invalid');
    expect(r.problems).toEqual([{ field: 'x\uFFFD', message: 'is not a known field' }]);
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
    const decoded = rejection(decodeRecord(rec, directory, limits));
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
    const letter = deadLetterFor(rec, rejection(decodeRecord(rec, directory, limits)), 0);
    expect(letter.reason).toBe('malformed_json');
    expect(letter.source).toEqual({ topic: 'spendflow.sales' });
    expect(letter.key).toBeNull();
    expect(letter.payload).toBe('oops');
    expect(letter.receivedAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('keeps partition 0 (a falsy but present value)', () => {
    const rec = record('spend', '{', { partition: 0, offset: '0' });
    expect(deadLetterFor(rec, rejection(decodeRecord(rec, directory, limits)), 0).source).toEqual({ topic: 'spendflow.spend', partition: 0, offset: '0' });
  });
});
