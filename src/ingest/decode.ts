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

/**
 * Turns a raw record into a trusted event, or says why it cannot be used: malformed JSON, a bad
 * field, a portfolio or channel that is not configured, a currency or platform that does not
 * match the configuration.
 */
export function decodeRecord(record: SourceRecord, directory: PortfolioDirectory): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(record.value);
  } catch (err) {
    return rejected('malformed_json', [{ field: '(root)', message: `is not valid JSON (${(err as Error).message})` }]);
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
    payload: record.value,
    receivedAt: new Date(receivedAt).toISOString(),
  };
}
