/**
 * A deterministic generator of hostile spend and sales records for the ingest fuzz test (issue 5):
 * random bytes, broken JSON, wrong types, huge and negative numbers, NaN/Infinity strings, bad and
 * far-off times, unknown portfolios and channels, oversized payloads … Every record comes with the
 * dead-letter reason spendflow must give it, derived from the documented rules (docs/events.md),
 * not by running the decoder. Nothing generated is valid.
 */
import { Buffer } from 'node:buffer';
import type { PortfolioConfig } from '../../src/config/types.ts';
import type { InputKind } from '../../src/events/types.ts';
import type { SourceRecord } from '../../src/ports.ts';
import { seededRandom, type Random } from '../../src/random.ts';

export type ExpectedReason = 'too_large' | 'malformed_json' | 'invalid' | 'unknown_portfolio' | 'unknown_channel';

export const HOSTILE_FAMILIES = [
  'random-bytes', 'truncated-json', 'not-an-object', 'wrong-types', 'huge-negative-numbers', 'nan-infinity-strings',
  'non-iso-ts', 'far-future-ts', 'far-past-ts', 'long-identifiers', 'deep-nesting', 'bom', 'lone-surrogates',
  'unknown-fields', 'unknown-portfolio', 'unknown-channel', 'mismatch', 'oversized',
] as const;
export type HostileFamily = (typeof HOSTILE_FAMILIES)[number];

export interface HostileRecord extends SourceRecord {
  readonly family: HostileFamily;
  /** What exactly is wrong, for failure messages: `wrong-types/amount:boolean`. */
  readonly variant: string;
  readonly expected: ExpectedReason;
}

export interface HostileOptions {
  readonly portfolios: readonly PortfolioConfig[];
  /** The wall clock the records will be checked against, epoch ms (between 2000 and 2100). */
  readonly now: number;
  /** `ingest.maxEventBytes`: a record larger than this is expected too_large, whatever else it is. */
  readonly maxEventBytes: number;
  /** `ingest.maxEventTimeJumpHours` and `ingest.maxEventAgeHours`: how far "far future" and "far past" are. */
  readonly maxJumpHours: number;
  readonly maxAgeHours: number;
  readonly seed: number;
}

const H = 3_600_000;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/** `count` hostile records, the families taking turns (so their counts differ by at most one). */
export function hostileRecords(count: number, options: HostileOptions): HostileRecord[] {
  if (options.portfolios.length === 0) throw new Error('hostileRecords needs at least one portfolio');
  if (!(options.now >= EARLIEST + options.maxAgeHours * H && options.now < LATEST)) {
    throw new Error('hostileRecords: now must be in 2000–2100 and at least maxAgeHours after 2000-01-01');
  }
  const g: Gen = { ...options, rng: seededRandom(options.seed), serial: 0 };
  const out: HostileRecord[] = [];
  for (let i = 0; i < count; i++) {
    const family = HOSTILE_FAMILIES[i % HOSTILE_FAMILIES.length]!;
    g.serial = i;
    const c = FAMILIES[family](g);
    const expected = Buffer.byteLength(c.value, 'utf8') > options.maxEventBytes ? 'too_large' : c.expected;
    const key = c.key !== undefined ? c.key : g.rng.next() < 0.1 ? null : c.portfolioId ?? pick(g.rng, options.portfolios).id;
    out.push({ topic: `spendflow.${c.kind}`, kind: c.kind, key, value: c.value, partition: 0, offset: String(i), family, variant: c.variant, expected });
  }
  return out;
}

interface Gen extends HostileOptions {
  readonly rng: Random;
  serial: number;
}

interface Case {
  readonly kind: InputKind;
  readonly value: string;
  readonly variant: string;
  readonly expected: ExpectedReason;
  readonly key?: string | null;
  readonly portfolioId?: string;
}

type Body = Record<string, unknown>;

interface Base {
  readonly kind: InputKind;
  readonly portfolio: PortfolioConfig;
  readonly body: Body;
}

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function between(rng: Random, lo: number, hi: number): number {
  return lo + Math.floor(rng.next() * (hi - lo + 1));
}

/** A valid spend or sales event of a configured portfolio, time within the last day. */
function validBase(g: Gen, kind: InputKind = g.rng.next() < 0.5 ? 'spend' : 'sales'): Base {
  const { rng } = g;
  const portfolio = pick(rng, g.portfolios);
  const channel = pick(rng, portfolio.channels);
  const tsMs = g.now - rng.int(Math.min(24, g.maxAgeHours) * H);
  const ts = rng.next() < 0.5 ? tsMs : new Date(tsMs).toISOString();
  const eventId = `hostile-${g.serial}`;
  if (kind === 'spend') {
    const body: Body = {
      eventId, portfolioId: portfolio.id, channelId: channel.id, platform: channel.platform, ts,
      amount: Math.round(rng.next() * 100_000) / 100, currency: portfolio.currency,
    };
    if (rng.next() < 0.5) body['impressions'] = rng.int(100_000);
    if (rng.next() < 0.5) body['clicks'] = rng.int(1000);
    return { kind, portfolio, body };
  }
  const body: Body = { eventId, portfolioId: portfolio.id, ts, revenue: Math.round(rng.next() * 100_000) / 100, orders: rng.int(50) };
  if (rng.next() < 0.5) body['currency'] = portfolio.currency;
  if (rng.next() < 0.3) body['channelId'] = channel.id;
  return { kind, portfolio, body };
}

/** JSON of `body` with `field` set to the raw JSON text `raw` (for literals JSON.stringify cannot write). */
function withRaw(body: Body, field: string, raw: string): string {
  const marker = `@@raw-${field}@@`;
  return JSON.stringify({ ...body, [field]: marker }).replace(JSON.stringify(marker), raw);
}

function make(base: Base, value: string, variant: string, expected: ExpectedReason): Case {
  return { kind: base.kind, value, variant, expected, portfolioId: base.portfolio.id };
}

const MONEY: Record<InputKind, string> = { spend: 'amount', sales: 'revenue' };
const COUNTS: Record<InputKind, readonly string[]> = { spend: ['impressions', 'clicks'], sales: ['orders'] };
const STRINGS: Record<InputKind, readonly string[]> = {
  spend: ['eventId', 'portfolioId', 'channelId', 'platform', 'currency'],
  sales: ['eventId', 'portfolioId', 'currency', 'channelId'],
};
const REQUIRED: Record<InputKind, readonly string[]> = {
  spend: ['eventId', 'portfolioId', 'channelId', 'platform', 'ts', 'amount', 'currency'],
  sales: ['eventId', 'portfolioId', 'ts', 'revenue', 'orders'],
};
const numericFields = (kind: InputKind) => [MONEY[kind], ...COUNTS[kind]];

/** A first character no JSON text can start with (not whitespace, not `{ [ " - 0-9 t f n`). */
function nonJsonStart(rng: Random): number {
  const starts = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x21, 0x23, 0x27, 0x2a, 0x2b, 0x2c, 0x2e, 0x3a, 0x3c, 0x40, 0x5d, 0x7d, 0x7f];
  const letter = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdeghijklmopqrsuvwxyz'.charCodeAt(rng.int(49));
  return rng.next() < 0.3 ? between(rng, 0x80, 0xff) : rng.next() < 0.5 ? letter : pick(rng, starts);
}

const FAMILIES: Record<HostileFamily, (g: Gen) => Case> = {
  'random-bytes'(g) {
    const { rng } = g;
    const length = between(rng, 1, Math.max(1, Math.min(512, Math.floor(g.maxEventBytes / 3))));
    const mode = pick(rng, ['binary', 'ascii', 'json-ish'] as const);
    const bytes = Buffer.alloc(length);
    const jsonish = Buffer.from('{}[]":,0123456789eE+-.truefalsn \\u');
    for (let i = 0; i < length; i++) {
      bytes[i] = mode === 'binary' ? rng.int(256) : mode === 'ascii' ? between(rng, 0x20, 0x7e) : jsonish[rng.int(jsonish.length)]!;
    }
    bytes[0] = nonJsonStart(rng);
    return { kind: rng.next() < 0.5 ? 'spend' : 'sales', value: bytes.toString('utf8'), variant: `random-bytes/${mode}`, expected: 'malformed_json' };
  },

  'truncated-json'(g) {
    const base = validBase(g);
    const json = JSON.stringify(base.body);
    const how = pick(g.rng, ['prefix', 'missing-brace', 'trailing-garbage', 'two-objects'] as const);
    if (how === 'prefix') return make(base, json.slice(0, g.rng.int(json.length)), 'truncated-json/prefix', 'malformed_json');
    if (how === 'missing-brace') return make(base, json.slice(0, -1), 'truncated-json/missing-brace', 'malformed_json');
    if (how === 'two-objects') return make(base, json + json, 'truncated-json/two-objects', 'malformed_json');
    const garbage = pick(g.rng, ['}', ',', ']', 'x', ',{}', '\u0000', '//', ' true']);
    return make(base, json + garbage, `truncated-json/trailing:${JSON.stringify(garbage)}`, 'malformed_json');
  },

  'not-an-object'(g) {
    const base = validBase(g);
    const roots = ['null', ' null ', '42', '-1', '0', '1e400', '-1e400', '"spend"', '""', 'true', 'false', '[]', `[${JSON.stringify(base.body)}]`, '[[[[1]]]]', '[null]'];
    const root = pick(g.rng, roots);
    return make(base, root, `not-an-object/${root.slice(0, 20)}`, 'invalid');
  },

  'wrong-types'(g) {
    const base = validBase(g);
    const { rng } = g;
    const how = pick(rng, ['string-field', 'number-field', 'ts', 'missing', 'null-required', 'non-integer'] as const);
    const body = { ...base.body };
    let field: string;
    let value: unknown;
    if (how === 'missing' || how === 'null-required') {
      field = pick(rng, REQUIRED[base.kind]);
      if (how === 'missing') delete body[field];
      else body[field] = null;
      return make(base, JSON.stringify(body), `wrong-types/${how}:${field}`, 'invalid');
    }
    if (how === 'string-field') {
      field = pick(rng, STRINGS[base.kind]);
      value = pick(rng, [42, 0, true, false, [], ['x'], {}, { id: 'x' }, '', '   ']);
    } else if (how === 'number-field') {
      field = pick(rng, numericFields(base.kind));
      value = pick(rng, ['12', '0', '', true, false, [], [1], {}, { value: 1 }]);
    } else if (how === 'ts') {
      field = 'ts';
      value = pick(rng, [true, false, [], [g.now], {}, { ms: g.now }, g.now + 0.5]);
    } else {
      field = pick(rng, COUNTS[base.kind]);
      value = pick(rng, [2.5, 0.1, 1e-9, 99.99]);
    }
    body[field] = value;
    return make(base, JSON.stringify(body), `wrong-types/${field}:${JSON.stringify(value)}`, 'invalid');
  },

  'huge-negative-numbers'(g) {
    const base = validBase(g);
    const { rng } = g;
    const target = pick(rng, ['money', 'count', 'ts'] as const);
    const field = target === 'money' ? MONEY[base.kind] : target === 'count' ? pick(rng, COUNTS[base.kind]) : 'ts';
    const literals = target === 'ts'
      ? ['-1', '-1767608100000', '9000000000000000', '1e400', '-1e400', '4102444800000', '1e3', String(Math.floor(g.now / 1000))]
      : ['-1', '-0.01', '-1e12', '-1.7976931348623157e308', '1000000000001', '1e13', '1e15', '9007199254740992', '9007199254740993',
        '1e300', '1.7976931348623157e308', '1e400', '-1e400', '123456789012345678901234567890'];
    const raw = pick(rng, literals);
    return make(base, withRaw(base.body, field, raw), `huge-negative-numbers/${field}:${raw}`, 'invalid');
  },

  'nan-infinity-strings'(g) {
    const base = validBase(g);
    const { rng } = g;
    const field = rng.next() < 0.2 ? 'ts' : pick(rng, numericFields(base.kind));
    if (rng.next() < 0.25) {
      const token = pick(rng, ['NaN', 'Infinity', '-Infinity', '+1', '.5', '01', '0x10', 'undefined']);
      return make(base, withRaw(base.body, field, token), `nan-infinity-strings/${field}:raw ${token}`, 'malformed_json');
    }
    const text = pick(rng, ['NaN', 'nan', 'Infinity', '-Infinity', '+Infinity', 'inf', '1e400', '-0', '12.5', '∞']);
    return make(base, JSON.stringify({ ...base.body, [field]: text }), `nan-infinity-strings/${field}:"${text}"`, 'invalid');
  },

  'non-iso-ts'(g) {
    const base = validBase(g);
    const day = new Date(g.now).toISOString().slice(0, 10);
    const ts = pick(g.rng, [
      `${day} 10:00:00Z`, `${day}T10:00:00`, day, `${day}T10Z`, '05/01/2026 10:00', 'yesterday', 'now', 'NaN', 'Infinity',
      String(g.now), '', '   ', 'T10:00:00Z', '2026-W02-1T10:00Z', '+275760-09-13T00:00:00Z', '10000-01-01T00:00:00Z',
      '2026-02-30T10:00:00Z', '2026-13-01T10:00:00Z', `${day}T24:00:00Z`, `${day}T10:60:00Z`, `${day}T10:00:00+99:99`,
      `${day}T10:00:00.${'9'.repeat(between(g.rng, 60, 400))}Z`, `${day}T10:00:00Z `, ` ${day}T10:00:00Z`,
    ]);
    return make(base, JSON.stringify({ ...base.body, ts }), `non-iso-ts/${ts.slice(0, 30)}`, 'invalid');
  },

  'far-future-ts'(g) {
    const base = validBase(g);
    const { rng } = g;
    const limit = g.now + g.maxJumpHours * H;
    const inRange = limit + H < LATEST;
    const how = pick(rng, inRange ? (['in-range', 'in-range', 'just-past-limit', 'out-of-range'] as const) : (['out-of-range'] as const));
    let ts: string | number;
    if (how === 'just-past-limit') ts = limit + 1;
    else if (how === 'in-range') ts = isoOrEpoch(rng, between(rng, limit + H, LATEST - H));
    else ts = pick(rng, ['2100-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2999-01-01T00:00:00+01:00', 4102444800000, 253402300799000, 8.64e15]);
    return make(base, JSON.stringify({ ...base.body, ts }), `far-future-ts/${how}:${ts}`, 'invalid');
  },

  'far-past-ts'(g) {
    const base = validBase(g);
    const { rng } = g;
    const limit = g.now - g.maxAgeHours * H;
    const inRange = limit - H >= EARLIEST;
    const how = pick(rng, inRange ? (['in-range', 'in-range', 'just-past-limit', 'out-of-range'] as const) : (['just-past-limit', 'out-of-range'] as const));
    let ts: string | number;
    if (how === 'just-past-limit') ts = limit - 1;
    else if (how === 'in-range') ts = isoOrEpoch(rng, between(rng, EARLIEST, limit - H));
    else ts = pick(rng, ['1999-12-31T23:59:59Z', '1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z', 0, 946684799999, Math.floor(g.now / 1000)]);
    return make(base, JSON.stringify({ ...base.body, ts }), `far-past-ts/${how}:${ts}`, 'invalid');
  },

  'long-identifiers'(g) {
    const base = validBase(g);
    const { rng } = g;
    const field = pick(rng, [...STRINGS[base.kind].filter((f) => f !== 'currency'), 'currency']);
    const value = field === 'currency' ? pick(rng, ['EURO', 'EUR'.repeat(between(rng, 2, 100))]) : 'x'.repeat(between(rng, 201, 5000));
    return make(base, JSON.stringify({ ...base.body, [field]: value }), `long-identifiers/${field}:${value.length}`, 'invalid');
  },

  'deep-nesting'(g) {
    const base = validBase(g);
    const { rng } = g;
    const depth = between(rng, 2, Math.max(2, Math.min(20_000, Math.floor((g.maxEventBytes - 600) / 8))));
    const how = pick(rng, ['field-arrays', 'field-objects', 'unknown-field', 'root-arrays', 'unclosed'] as const);
    const arrays = '['.repeat(depth) + '1' + ']'.repeat(depth);
    const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const field = pick(rng, [...REQUIRED[base.kind]]);
    const variant = `deep-nesting/${how}:${depth}`;
    if (how === 'field-arrays') return make(base, withRaw(base.body, field, arrays), `${variant}:${field}`, 'invalid');
    if (how === 'field-objects') return make(base, withRaw(base.body, field, objects), `${variant}:${field}`, 'invalid');
    if (how === 'unknown-field') return make(base, withRaw(base.body, 'nested', objects), variant, 'invalid');
    if (how === 'root-arrays') return make(base, arrays, variant, 'invalid');
    return make(base, withRaw(base.body, field, '['.repeat(depth)), variant, 'malformed_json');
  },

  bom(g) {
    const base = validBase(g);
    const json = JSON.stringify(base.body);
    const how = pick(g.rng, ['leading', 'leading-bytes', 'trailing', 'in-eventId'] as const);
    if (how === 'leading') return make(base, '\uFEFF' + json, 'bom/leading', 'malformed_json');
    if (how === 'leading-bytes') return make(base, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]).toString('utf8'), 'bom/leading-bytes', 'malformed_json');
    if (how === 'trailing') return make(base, json + '\uFEFF', 'bom/trailing', 'malformed_json');
    return make(base, JSON.stringify({ ...base.body, eventId: `\uFEFF${String(base.body['eventId'])}` }), 'bom/in-eventId', 'invalid');
  },

  'lone-surrogates'(g) {
    const base = validBase(g);
    const { rng } = g;
    const field = pick(rng, STRINGS[base.kind]);
    const how = pick(rng, ['raw-in-value', 'escaped-in-value', 'in-key', 'outside-string', 'invalid-utf8'] as const);
    const lone = pick(rng, ['\ud800', '\udbff', '\udc00', '\udfff']);
    const variant = `lone-surrogates/${how}`;
    if (how === 'raw-in-value') return make(base, JSON.stringify({ ...base.body, [field]: `a${lone}` }).replace(/\\ud[89a-f][0-9a-f]{2}/g, lone), `${variant}:${field}`, 'invalid');
    if (how === 'escaped-in-value') return make(base, withRaw(base.body, field, '"a\\ud800"'), `${variant}:${field}`, 'invalid');
    if (how === 'in-key') return make(base, withRaw(base.body, `k${lone}`, '1').replace(/\\ud[89a-f][0-9a-f]{2}/g, lone), variant, 'invalid');
    if (how === 'outside-string') return make(base, JSON.stringify(base.body).replace(',', `,${lone}`), variant, 'malformed_json');
    // Bytes that are not UTF-8 (a CESU-encoded surrogate, a stray continuation byte), decoded as the Kafka source does.
    const bad = Buffer.concat([Buffer.from(JSON.stringify(base.body).slice(0, -1) + ',"'), Buffer.from([0xed, 0xa0, 0x80, 0x80]), Buffer.from('":1}')]);
    return make(base, bad.toString('utf8'), variant, 'invalid');
  },

  'unknown-fields'(g) {
    const base = validBase(g);
    const { rng } = g;
    const how = pick(rng, ['typo', 'proto', 'many', 'long-name'] as const);
    if (how === 'typo') {
      const name = pick(rng, ['amout', 'Amount', 'portfolio_id', 'event_id', 'kind', 'cost', 'timestamp', 'TS', ' ts', 'ts ', '']);
      return make(base, withRaw(base.body, name, '1'), `unknown-fields/typo:${JSON.stringify(name)}`, 'invalid');
    }
    if (how === 'proto') {
      const name = pick(rng, ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']);
      return make(base, withRaw(base.body, name, '{"polluted":true}'), `unknown-fields/proto:${name}`, 'invalid');
    }
    if (how === 'many') {
      const n = between(rng, 11, Math.max(11, Math.min(3000, Math.floor((g.maxEventBytes - 600) / 14))));
      const extra = Array.from({ length: n }, (_, i) => `"junk${i}":${i}`).join(',');
      return make(base, JSON.stringify(base.body).slice(0, -1) + ',' + extra + '}', `unknown-fields/many:${n}`, 'invalid');
    }
    return make(base, withRaw(base.body, 'k'.repeat(between(rng, 65, 5000)), '1'), 'unknown-fields/long-name', 'invalid');
  },

  'unknown-portfolio'(g) {
    const base = validBase(g);
    const ids = new Set(g.portfolios.map((p) => p.id));
    const candidates = [`ghost-${g.serial}`, base.portfolio.id.toUpperCase(), `${base.portfolio.id}-x`, base.portfolio.id.replace(/-/g, '_'), 'x', `p${g.serial}`];
    const portfolioId = candidates.find((c, i) => i >= g.rng.int(candidates.length) && !ids.has(c)) ?? `ghost-${g.serial}`;
    return { ...make(base, JSON.stringify({ ...base.body, portfolioId }), `unknown-portfolio/${portfolioId}`, 'unknown_portfolio'), key: base.portfolio.id };
  },

  'unknown-channel'(g) {
    const base = validBase(g, g.rng.next() < 0.6 ? 'spend' : 'sales');
    const own = new Set(base.portfolio.channels.map((c) => c.id));
    const elsewhere = g.portfolios.flatMap((p) => p.channels.map((c) => c.id)).filter((id) => !own.has(id));
    const candidates = [...elsewhere, `ghost-channel-${g.serial}`, 'tv', 'SEARCH'].filter((id) => !own.has(id));
    const channelId = pick(g.rng, candidates);
    return make(base, JSON.stringify({ ...base.body, channelId }), `unknown-channel/${base.kind}:${channelId}`, 'unknown_channel');
  },

  mismatch(g) {
    const base = validBase(g);
    const { rng } = g;
    const currency = pick(rng, ['EUR', 'USD', 'GBP', 'JPY', 'CHF'].filter((c) => c !== base.portfolio.currency));
    if (base.kind === 'sales' || rng.next() < 0.5) {
      return make(base, JSON.stringify({ ...base.body, currency }), `mismatch/currency:${currency}`, 'invalid');
    }
    const platform = `not-${String(base.body['platform'])}`;
    return make(base, JSON.stringify({ ...base.body, platform }), `mismatch/platform:${platform}`, 'invalid');
  },

  oversized(g) {
    const base = validBase(g);
    const { rng } = g;
    const max = g.maxEventBytes;
    const json = JSON.stringify(base.body);
    const target = rng.next() < 0.2 ? max + 1 : between(rng, max + 1, max + Math.floor(max / 2));
    const how = pick(rng, ['padded-valid', 'long-note', 'multibyte', 'emoji', 'huge-array', 'garbage'] as const);
    const variant = `oversized/${how}`;
    if (how === 'padded-valid') return make(base, json.slice(0, -1) + ' '.repeat(target - json.length) + '}', `${variant}:${target}`, 'too_large');
    if (how === 'long-note') return make(base, withRaw(base.body, 'note', JSON.stringify('x'.repeat(target))), variant, 'too_large');
    if (how === 'huge-array') return make(base, withRaw(base.body, MONEY[base.kind], `[${'0,'.repeat(Math.ceil(target / 2))}0]`), variant, 'too_large');
    if (how === 'garbage') return make(base, 'x'.repeat(target), variant, 'too_large');
    // Fewer characters than the limit but more bytes: only an exact UTF-8 count catches these.
    const [ch, units, bytes] = how === 'multibyte' ? ['€', 1, 3] : ['😀', 2, 4];
    const room = max - json.length - ',"note":""'.length;
    const n = Math.max(1, Math.floor(room / bytes) + 1 + rng.int(Math.max(1, Math.floor(room / units / bytes))));
    return make(base, withRaw(base.body, 'note', JSON.stringify(ch.repeat(n))), variant, 'too_large');
  },
};

/** A time as epoch ms or an ISO-8601 string, with Z or an offset (the same instant either way). */
function isoOrEpoch(rng: Random, ms: number): string | number {
  const form = rng.int(3);
  if (form === 0) return ms;
  if (form === 1) return new Date(ms).toISOString();
  const offsetMinutes = pick(rng, [-300, -90, 60, 330, 600]);
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
