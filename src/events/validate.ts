import type { FieldProblem } from '../errors.ts';
import { CURRENCY, FieldReader, IDENTIFIER, describeJsonType, isPlainObject } from './fields.ts';
import type { InputKind, SalesEvent, SpendEvent } from './types.ts';

export type Parsed<T> = { ok: true; event: T } | { ok: false; problems: FieldProblem[] };

/**
 * Sanity ceilings: one event worth more than a trillion (in any currency) or counting more than a
 * trillion impressions is a bug upstream, and summing a few such values would overflow a bucket.
 * Both are far below Number.MAX_SAFE_INTEGER (about 9.007e15), so accepted integers are exact.
 */
export const MAX_MONEY = 1e12;
export const MAX_COUNT = 1e12;

const SPEND_FIELDS = ['eventId', 'portfolioId', 'channelId', 'platform', 'ts', 'amount', 'currency', 'impressions', 'clicks'] as const;
const SALES_FIELDS = ['eventId', 'portfolioId', 'ts', 'revenue', 'orders', 'currency', 'channelId'] as const;

function notAnObject(input: unknown): Parsed<never> {
  return { ok: false, problems: [{ field: '(root)', message: `must be a JSON object (got ${describeJsonType(input)})` }] };
}

/** Checks the shape of a spend event (not whether its portfolio exists: see ingest/decode.ts). */
export function parseSpendEvent(input: unknown): Parsed<SpendEvent> {
  if (!isPlainObject(input)) return notAnObject(input);
  const r = new FieldReader(input);
  const eventId = r.string('eventId', { pattern: IDENTIFIER });
  const portfolioId = r.string('portfolioId', { pattern: IDENTIFIER });
  const channelId = r.string('channelId', { pattern: IDENTIFIER });
  const platform = r.string('platform', { pattern: IDENTIFIER });
  const ts = r.timestamp('ts');
  const amount = r.number('amount', { min: 0, max: MAX_MONEY });
  const currency = r.string('currency', { pattern: CURRENCY });
  const impressions = r.number('impressions', { optional: true, min: 0, max: MAX_COUNT, integer: true });
  const clicks = r.number('clicks', { optional: true, min: 0, max: MAX_COUNT, integer: true });
  r.rejectUnknown(SPEND_FIELDS);
  if (r.problems.length > 0) return { ok: false, problems: r.problems };
  const event: SpendEvent = {
    kind: 'spend',
    eventId: eventId!,
    portfolioId: portfolioId!,
    channelId: channelId!,
    platform: platform!,
    ts: ts!,
    amount: amount!,
    currency: currency!,
    ...(impressions === undefined ? {} : { impressions }),
    ...(clicks === undefined ? {} : { clicks }),
  };
  return { ok: true, event };
}

/** Checks the shape of a sales event. `channelId` is present when the sale is attributed. */
export function parseSalesEvent(input: unknown): Parsed<SalesEvent> {
  if (!isPlainObject(input)) return notAnObject(input);
  const r = new FieldReader(input);
  const eventId = r.string('eventId', { pattern: IDENTIFIER });
  const portfolioId = r.string('portfolioId', { pattern: IDENTIFIER });
  const ts = r.timestamp('ts');
  const revenue = r.number('revenue', { min: 0, max: MAX_MONEY });
  const orders = r.number('orders', { min: 0, max: MAX_COUNT, integer: true });
  const currency = r.string('currency', { optional: true, pattern: CURRENCY });
  const channelId = r.string('channelId', { optional: true, pattern: IDENTIFIER });
  r.rejectUnknown(SALES_FIELDS);
  if (r.problems.length > 0) return { ok: false, problems: r.problems };
  const event: SalesEvent = {
    kind: 'sales',
    eventId: eventId!,
    portfolioId: portfolioId!,
    ts: ts!,
    revenue: revenue!,
    orders: orders!,
    ...(currency === undefined ? {} : { currency }),
    ...(channelId === undefined ? {} : { channelId }),
  };
  return { ok: true, event };
}

export function parseInputEvent(kind: InputKind, input: unknown): Parsed<SpendEvent | SalesEvent> {
  return kind === 'spend' ? parseSpendEvent(input) : parseSalesEvent(input);
}
