/**
 * A pipeline driven synchronously (process → takeOutbox → announce), as the Kafka driver does,
 * over simulated market records; and a JSON encoding of portfolio snapshots that keeps
 * non-finite numbers (the decision state holds NaN: expected revenue before any model).
 */
import { buildMarket } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/loader.ts';
import type { Config } from '../../../src/config/types.ts';
import type { DeadLetter, ReallocationEvent } from '../../../src/events/types.ts';
import { createPipeline, type Outbox, type Pipeline, type PipelineDeps, type PortfolioSnapshot } from '../../../src/pipeline/pipeline.ts';
import { SignalBus, type PipelineSignal } from '../../../src/pipeline/signals.ts';
import type { SourceRecord } from '../../../src/ports.ts';
import { builtInScenario } from '../../../src/sim/scenarios.ts';

export const START = Date.parse('2026-03-02T00:00:00Z');
export const HOUR = 3_600_000;

/** A record and the arrival time it is processed at. */
export interface Arrival {
  readonly record: SourceRecord;
  readonly at: number;
}

/** `hours` of simulated market records, arrival times 1 ms apart from `firstAt`. */
export function marketRecords(config: Config, hours: number, scenario = 'demo', firstAt = 1): Arrival[] {
  const market = buildMarket(config, builtInScenario(scenario), START);
  const ticks = (hours * 60) / config.simulator.tickMinutes;
  const out: Arrival[] = [];
  let at = firstAt;
  for (let i = 0; i < ticks; i++) {
    for (const r of market.step()) {
      out.push({ record: { topic: r.topic, kind: r.topic, key: r.key, value: JSON.stringify(r.value) }, at: at++ });
    }
  }
  return out;
}

export interface Driven {
  readonly config: Config;
  readonly pipeline: Pipeline;
  /** Signals as they reach the bus (i.e. after `announce`). */
  readonly signals: PipelineSignal[];
  /** Published reallocations, one entry per decision, in order. */
  readonly published: ReallocationEvent[][];
  readonly deadLetters: DeadLetter[];
  /** Every outbox taken, in order. */
  readonly outboxes: Outbox[];
  /** Processes, takes the outbox and announces it; returns the outbox. */
  feed(arrival: Arrival): Outbox;
  feedAll(arrivals: readonly Arrival[]): void;
  /** Takes and announces whatever is in the outbox now (after reoptimizeNow, applyConfig...). */
  flush(): Outbox;
}

export function drive(config: Config, deps: Partial<PipelineDeps> = {}): Driven {
  const bus = new SignalBus();
  const signals: PipelineSignal[] = [];
  bus.on((s) => signals.push(s));
  const pipeline = createPipeline({ config, signals: bus, now: () => 0, clock: null, ...deps });
  const published: ReallocationEvent[][] = [];
  const deadLetters: DeadLetter[] = [];
  const outboxes: Outbox[] = [];
  const flush = () => {
    const out = pipeline.takeOutbox();
    outboxes.push(out);
    published.push(...out.reallocations);
    deadLetters.push(...out.deadLetters);
    pipeline.announce(out);
    return out;
  };
  const feed = (a: Arrival) => {
    pipeline.process(a.record, a.at);
    return flush();
  };
  return { config, pipeline, signals, published, deadLetters, outboxes, feed, feedAll: (as) => as.forEach(feed), flush };
}

export const configWith = (overrides: unknown = {}) => loadConfig({ overrides });

/** One portfolio's snapshot as the pipeline exports it. */
export function snapshotOf(p: Pipeline, id: string): PortfolioSnapshot {
  return { decision: p.decisionState(id) ?? null, ingest: p.ingestState(id) ?? null, ids: p.seenIds(id) };
}

const TAG = '$nonFinite';

/** JSON with NaN, ±Infinity and -0 tagged ({"$nonFinite":"NaN"}) and the ids as [start, ids] pairs. */
export function encodeSnapshot(s: PortfolioSnapshot): string {
  return JSON.stringify({ decision: s.decision, ingest: s.ingest, ids: [...s.ids.entries()] }, (_key, value: unknown) => {
    if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) return { [TAG]: Object.is(value, -0) ? '-0' : String(value) };
    return value;
  });
}

export function decodeSnapshot(text: string): PortfolioSnapshot {
  const raw = JSON.parse(text, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === TAG) return Number((value as Record<string, string>)[TAG]);
    }
    return value;
  }) as { decision: PortfolioSnapshot['decision']; ingest: PortfolioSnapshot['ingest']; ids: [number, string[]][] };
  return { decision: raw.decision, ingest: raw.ingest, ids: new Map(raw.ids) };
}

/** Consumer-side check of one portfolio's chain: previousVersion links, versions strictly increase. */
export function versionChain(published: readonly ReallocationEvent[][], portfolioId: string): { version: number; previousVersion: number }[] {
  return published
    .filter((events) => events[0]?.portfolioId === portfolioId)
    .map((events) => {
      const versions = new Set(events.map((e) => e.version));
      const previous = new Set(events.map((e) => e.previousVersion));
      if (versions.size !== 1 || previous.size !== 1) throw new Error(`one decision with several versions: ${[...versions]} / ${[...previous]}`);
      return { version: events[0]!.version, previousVersion: events[0]!.previousVersion };
    });
}

/** The records whose event time is in [fromHour, toHour) after START, in their order. */
export function hours(records: readonly Arrival[], fromHour: number, toHour: number): Arrival[] {
  return records.filter((r) => {
    const ts = Date.parse((JSON.parse(r.record.value) as { ts: string }).ts);
    return ts >= START + fromHour * HOUR && ts < START + toHour * HOUR;
  });
}

/** The decisions published for one portfolio. */
export const publishedFor = (published: readonly ReallocationEvent[][], id: string) => published.filter((events) => events[0]?.portfolioId === id);

export const totalOf = (events: readonly ReallocationEvent[]) => events.reduce((s, e) => s + e.budget, 0);
