import { Buffer } from 'node:buffer';
import type { ChannelConfig, PortfolioConfig } from '../config/types.ts';
import type { FieldProblem } from '../errors.ts';
import type { DeadLetter, DeadLetterReason, InputEvent } from '../events/types.ts';
import { parseInputEvent } from '../events/validate.ts';
import type { SourceRecord } from '../ports.ts';

/** The configured portfolios, looked up by id, with their channels by id. */
export class PortfolioDirectory {
  private readonly byId = new Map<string, { config: PortfolioConfig; channels: Map<string, ChannelConfig> }>();

  constructor(portfolios: readonly PortfolioConfig[]) {
    for (const p of portfolios) this.byId.set(p.id, { config: p, channels: new Map(p.channels.map((c) => [c.id, c])) });
  }

  get(id: string): PortfolioConfig | undefined {
    return this.byId.get(id)?.config;
  }

  channel(portfolioId: string, channelId: string): ChannelConfig | undefined {
    return this.byId.get(portfolioId)?.channels.get(channelId);
  }

  all(): PortfolioConfig[] {
    return [...this.byId.values()].map((e) => e.config);
  }
}

export type Decoded =
  | { readonly ok: true; readonly event: InputEvent }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly error: string; readonly problems: FieldProblem[] };

function rejected(reason: DeadLetterReason, problems: FieldProblem[]): Decoded {
  const error = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return { ok: false, reason, error, problems };
}

/** Limits on a record before it is parsed (`ingest.maxEventBytes`). */
export interface DecodeLimits {
  /** Largest value accepted, in UTF-8 bytes; a larger one is rejected unparsed as `too_large`. */
  readonly maxEventBytes: number;
}

/**
 * UTF-8 length of `value` if it is at most `max` bytes, otherwise null. Each UTF-16 unit takes 1
 * to 3 bytes (a surrogate pair, two units, takes 4), so the length bounds the size both ways and
 * only values in between are measured.
 */
function utf8LengthWithin(value: string, max: number): number | null {
  if (value.length > max) return null;
  if (value.length * 3 <= max) return value.length;
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes <= max ? bytes : null;
}

/**
 * Turns a raw record into a trusted event, or says why it cannot be used: too large to parse,
 * malformed JSON, a bad field, a portfolio or channel that is not configured, a currency or
 * platform that does not match the configuration. Never throws on any input.
 */
export function decodeRecord(record: SourceRecord, directory: PortfolioDirectory, limits: DecodeLimits): Decoded {
  const value = record.value;
  if (utf8LengthWithin(value, limits.maxEventBytes) === null) {
    const bytes = Buffer.byteLength(value, 'utf8');
    return rejected('too_large', [{ field: '(root)', message: `is ${bytes} bytes, more than the limit of ${limits.maxEventBytes} bytes (ingest.maxEventBytes); not parsed` }]);
  }
  if (value.charCodeAt(0) === 0xfeff) {
    return rejected('malformed_json', [{ field: '(root)', message: 'starts with a byte order mark (U+FEFF); send JSON in UTF-8 without a BOM' }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (err) {
    const why = value === '' ? 'the value is empty' : value.trim() === '' ? 'the value is only whitespace' : errorText(err);
    return rejected('malformed_json', [{ field: '(root)', message: `is not valid JSON (${why})` }]);
  }
  const parsed = parseInputEvent(record.kind, json);
  if (!parsed.ok) return rejected('invalid', parsed.problems);
  const event = parsed.event;
  const portfolio = directory.get(event.portfolioId);
  if (!portfolio) {
    return rejected('unknown_portfolio', [{ field: 'portfolioId', message: `portfolio "${event.portfolioId}" is not configured` }]);
  }
  const problems: FieldProblem[] = [];
  if (event.currency !== undefined && event.currency !== portfolio.currency) {
    problems.push({ field: 'currency', message: `portfolio ${portfolio.id} is in ${portfolio.currency}, not ${event.currency}` });
  }
  if (event.channelId !== undefined) {
    const channel = directory.channel(portfolio.id, event.channelId);
    if (!channel) {
      return rejected('unknown_channel', [{ field: 'channelId', message: `channel "${event.channelId}" is not configured in portfolio ${portfolio.id}` }]);
    }
    if (event.kind === 'spend' && event.platform !== channel.platform) {
      problems.push({ field: 'platform', message: `channel ${channel.id} runs on ${channel.platform}, not ${event.platform}` });
    }
  }
  if (problems.length > 0) return rejected('invalid', problems);
  return { ok: true, event };
}

/** The parser's own words, which quote a few characters around the error (bounded by V8). */
function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * A too_large record keeps only this many characters of its payload in the dead letter: the
 * whole of it could be larger than the dead-letter topic accepts, and `source` identifies it.
 */
export const TOO_LARGE_PAYLOAD_CHARS = 1024;

function payloadFor(record: SourceRecord, reason: DeadLetterReason): string {
  if (reason !== 'too_large' || record.value.length <= TOO_LARGE_PAYLOAD_CHARS) return record.value;
  let end = TOO_LARGE_PAYLOAD_CHARS;
  const last = record.value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return record.value.slice(0, end);
}

export function deadLetterFor(record: SourceRecord, decoded: Extract<Decoded, { ok: false }>, receivedAt: number): DeadLetter {
  return {
    reason: decoded.reason,
    error: decoded.error,
    fields: decoded.problems,
    source: {
      topic: record.topic,
      ...(record.partition === undefined ? {} : { partition: record.partition }),
      ...(record.offset === undefined ? {} : { offset: record.offset }),
    },
    key: record.key,
    payload: payloadFor(record, decoded.reason),
    receivedAt: new Date(receivedAt).toISOString(),
  };
}
