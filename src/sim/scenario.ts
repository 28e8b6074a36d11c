/**
 * A simulated market as data: per portfolio, the ground-truth response of every channel plus the
 * organic baseline, seasonality and noise levels that the market simulator (./market.ts) draws
 * events from. Scenarios are built in (./scenarios.ts) or read from JSON via `parseScenario`.
 */
import { SpendflowError, describeProblems, type FieldProblem } from '../errors.ts';
import { CURRENCY, FieldReader, IDENTIFIER, isPlainObject } from '../events/fields.ts';
import { parseCurve } from '../model/curves/registry.ts';
import type { CurveSpec } from '../model/curves/types.ts';
import { parseEffects, type ResponseEffect } from './effects.ts';

export interface SimChannel {
  readonly id: string;
  readonly platform: string;
  /** Revenue per period at a steady spend of x per period (ground truth). */
  readonly curve: CurveSpec;
  /**
   * Geometric carry-over per period, in [0, 1). Normalised: adstock ← d·adstock + (1 − d)·spend,
   * so a steady spend of x per period gives an adstock of x.
   */
  readonly adstockDecay: number;
  /** Cost per 1000 impressions, in the portfolio currency. */
  readonly cpm: number;
  /** Clicks per impression, in [0, 1]. */
  readonly ctr: number;
  /** Lowest budget per period the matching config uses (optional; clamps the initial even split). */
  readonly min?: number;
  /** Highest budget per period the matching config uses (optional; absent = no cap). */
  readonly max?: number;
  /**
   * Changes of the true response over simulated time (./effects.ts): each multiplies the curve's
   * value by a factor of the day since the market's start; several multiply. Absent = stationary.
   */
  readonly effects?: readonly ResponseEffect[];
}

export interface SimPortfolio {
  readonly id: string;
  readonly currency: string;
  /** Budget per period. */
  readonly budget: number;
  readonly periodMinutes: number;
  readonly channels: readonly SimChannel[];
  /** Organic revenue per period (before seasonality). */
  readonly baseline: number;
  /** Relative amplitudes of the weekly and daily seasonality of the baseline, e.g. 0.15. */
  readonly weeklyAmplitude: number;
  readonly dailyAmplitude: number;
  /** Relative standard deviation of the revenue of one tick, e.g. 0.05. */
  readonly noise: number;
  /** Relative standard deviation of actual vs planned spend of one tick (pacing), e.g. 0.08. */
  readonly spendNoise: number;
  readonly averageOrderValue: number;
}

export interface SimScenario {
  readonly name: string;
  readonly portfolios: readonly SimPortfolio[];
}

const SCENARIO_KEYS = ['name', 'portfolios'] as const;
const PORTFOLIO_KEYS = [
  'id', 'currency', 'budget', 'periodMinutes', 'channels', 'baseline', 'weeklyAmplitude',
  'dailyAmplitude', 'noise', 'spendNoise', 'averageOrderValue',
] as const;
const CHANNEL_KEYS = ['id', 'platform', 'curve', 'adstockDecay', 'cpm', 'ctr', 'min', 'max', 'effects'] as const;

/**
 * Checks an untrusted value (e.g. the contents of `--scenario file.json`) and returns a typed
 * scenario. Collects every problem, each with its field path (`portfolios[0].channels[1].cpm`),
 * and throws one `INPUT_INVALID` error listing them all.
 */
export function parseScenario(json: unknown): SimScenario {
  const problems: FieldProblem[] = [];
  const scenario = readScenario(json, problems);
  if (!scenario || problems.length > 0) {
    throw new SpendflowError(
      'INPUT_INVALID',
      `invalid scenario (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${describeProblems(problems)}`,
      { problems },
    );
  }
  return scenario;
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function readScenario(json: unknown, problems: FieldProblem[]): SimScenario | undefined {
  if (!isPlainObject(json)) {
    problems.push({ field: '(root)', message: 'must be a JSON object like {"name":…,"portfolios":[…]}' });
    return undefined;
  }
  const r = new FieldReader(json);
  const name = r.string('name', { maxLength: 100 });
  r.rejectUnknown(SCENARIO_KEYS);
  problems.push(...r.problems);
  const portfolios = readArray(json['portfolios'], 'portfolios', problems, (item, path) =>
    readPortfolio(item, path, problems),
  );
  duplicateIds(json['portfolios'], 'portfolios', problems);
  return name !== undefined && portfolios ? { name, portfolios } : undefined;
}

/** Reads a non-empty array, item by item; undefined when the array or any item is unusable. */
function readArray<T>(
  value: unknown,
  path: string,
  problems: FieldProblem[],
  readItem: (item: unknown, path: string) => T | undefined,
): T[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push({ field: path, message: value === undefined ? 'is required' : 'must be a non-empty array' });
    return undefined;
  }
  const items = value.map((item: unknown, i) => readItem(item, `${path}[${i}]`));
  return items.every((item): item is T => item !== undefined) ? items : undefined;
}

/** Flags repeated `id`s in a raw array, whether or not the items are otherwise valid. */
function duplicateIds(value: unknown, path: string, problems: FieldProblem[]): void {
  if (!Array.isArray(value)) return;
  const seen = new Map<string, number>();
  value.forEach((item: unknown, i) => {
    const id = isPlainObject(item) ? item['id'] : undefined;
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else problems.push({ field: `${path}[${i}].id`, message: `duplicates ${path}[${first}].id (${JSON.stringify(id)})` });
  });
}

function readPortfolio(item: unknown, path: string, problems: FieldProblem[]): SimPortfolio | undefined {
  if (!isPlainObject(item)) {
    problems.push({ field: path, message: 'must be an object' });
    return undefined;
  }
  const r = new FieldReader(item, path);
  const before = problems.length;
  const id = r.string('id', { maxLength: 100, pattern: IDENTIFIER });
  const currency = r.string('currency', { pattern: CURRENCY });
  const budget = r.number('budget', { min: 0 });
  const periodMinutes = r.number('periodMinutes', { min: 0 });
  const baseline = r.number('baseline', { min: 0 });
  const weeklyAmplitude = r.number('weeklyAmplitude', { min: 0, max: 1 });
  const dailyAmplitude = r.number('dailyAmplitude', { min: 0, max: 1 });
  const noise = r.number('noise', { min: 0, max: 1 });
  const spendNoise = r.number('spendNoise', { min: 0, max: 1 });
  const averageOrderValue = r.number('averageOrderValue', { min: 0 });
  r.rejectUnknown(PORTFOLIO_KEYS);
  problems.push(...r.problems);
  for (const [name, v] of [['budget', budget], ['periodMinutes', periodMinutes], ['averageOrderValue', averageOrderValue]] as const) {
    if (v === 0) problems.push({ field: join(path, name), message: 'must be > 0' });
  }
  if (weeklyAmplitude !== undefined && dailyAmplitude !== undefined && weeklyAmplitude + dailyAmplitude >= 1) {
    problems.push({ field: join(path, 'dailyAmplitude'), message: 'weeklyAmplitude + dailyAmplitude must be < 1 (the season factor must stay positive)' });
  }
  const channelsPath = join(path, 'channels');
  const channels = readArray(item['channels'], channelsPath, problems, (c, p) => readChannel(c, p, problems));
  duplicateIds(item['channels'], channelsPath, problems);
  if (channels && budget !== undefined && budget > 0) checkBudgetFits(channels, budget, path, problems);
  if (
    problems.length > before || id === undefined || currency === undefined || budget === undefined ||
    periodMinutes === undefined || baseline === undefined || weeklyAmplitude === undefined ||
    dailyAmplitude === undefined || noise === undefined || spendNoise === undefined ||
    averageOrderValue === undefined || !channels
  ) {
    return undefined;
  }
  return { id, currency, budget, periodMinutes, channels, baseline, weeklyAmplitude, dailyAmplitude, noise, spendNoise, averageOrderValue };
}

function checkBudgetFits(channels: readonly SimChannel[], budget: number, path: string, problems: FieldProblem[]): void {
  const minSum = channels.reduce((s, c) => s + (c.min ?? 0), 0);
  if (minSum > budget) {
    problems.push({ field: join(path, 'budget'), message: `is below the sum of the channel minimums (${minSum})` });
  }
  if (channels.every((c) => c.max !== undefined)) {
    const maxSum = channels.reduce((s, c) => s + (c.max ?? 0), 0);
    if (maxSum < budget) {
      problems.push({ field: join(path, 'budget'), message: `exceeds the sum of the channel maximums (${maxSum})` });
    }
  }
}

function readChannel(item: unknown, path: string, problems: FieldProblem[]): SimChannel | undefined {
  if (!isPlainObject(item)) {
    problems.push({ field: path, message: 'must be an object' });
    return undefined;
  }
  const r = new FieldReader(item, path);
  const before = problems.length;
  const id = r.string('id', { maxLength: 100, pattern: IDENTIFIER });
  const platform = r.string('platform', { maxLength: 100, pattern: IDENTIFIER });
  const adstockDecay = r.number('adstockDecay', { min: 0 });
  const cpm = r.number('cpm', { min: 0 });
  const ctr = r.number('ctr', { min: 0, max: 1 });
  const min = r.number('min', { optional: true, min: 0 });
  const max = r.number('max', { optional: true, min: 0 });
  r.rejectUnknown(CHANNEL_KEYS);
  problems.push(...r.problems);
  if (adstockDecay !== undefined && adstockDecay >= 1) {
    problems.push({ field: join(path, 'adstockDecay'), message: `must be < 1 (got ${adstockDecay})` });
  }
  if (cpm === 0) problems.push({ field: join(path, 'cpm'), message: 'must be > 0' });
  if (min !== undefined && max !== undefined && min > max) {
    problems.push({ field: join(path, 'max'), message: `must be >= min (${min})` });
  }
  const parsed: { curve?: CurveSpec; problems: FieldProblem[] } = item['curve'] === undefined
    ? { problems: [{ field: join(path, 'curve'), message: 'is required' }] }
    : parseCurve(item['curve'], join(path, 'curve'));
  problems.push(...parsed.problems);
  const effects = item['effects'] === undefined ? undefined : parseEffects(item['effects'], join(path, 'effects'));
  problems.push(...(effects?.problems ?? []));
  if (
    problems.length > before || id === undefined || platform === undefined || adstockDecay === undefined ||
    cpm === undefined || ctr === undefined || parsed.curve === undefined
  ) {
    return undefined;
  }
  return {
    id, platform, curve: parsed.curve, adstockDecay, cpm, ctr,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    ...(effects?.effects === undefined ? {} : { effects: effects.effects }),
  };
}
