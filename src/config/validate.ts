/**
 * Checks untrusted config values against the schema. Every function collects problems instead of
 * stopping at the first, with field paths such as `kafka.partitions` or
 * `portfolios[0].channels[1].max`; the loader attributes them to a file or environment variable.
 */
import type { FieldProblem } from '../errors.ts';
import { CURRENCY, FieldReader, IDENTIFIER, isPlainObject } from '../events/fields.ts';
import { PLATFORM, type ConfigKeyPath, type KeySpec } from './schema.ts';
import type { ChannelConfig, PortfolioConfig } from './types.ts';

const SHARE_TOLERANCE = 1e-6;
/** The model names the organic revenue `baseline` among the components a change is blamed on. */
export const RESERVED_CHANNEL_ID = 'baseline';

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function checkString(spec: KeySpec, value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string (got ${show(value)})`;
  if (value.trim() === '') return 'must not be empty';
  if (spec.pattern && !spec.pattern.test(value)) return `must match ${spec.pattern} (got ${show(value)})`;
  return spec.rule?.check(value);
}

function checkNumber(spec: KeySpec, value: unknown): string | undefined {
  const integer = spec.kind === 'integer';
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return `must be ${integer ? 'an integer' : 'a number'} (got ${show(value)})`;
  }
  if (integer && !Number.isSafeInteger(value)) return `must be an integer (got ${value})`;
  if (spec.min !== undefined) {
    if (spec.minExclusive && value <= spec.min) return `must be > ${spec.min} (got ${value})`;
    if (!spec.minExclusive && value < spec.min) return `must be >= ${spec.min} (got ${value})`;
  }
  if (spec.max !== undefined && value > spec.max) return `must be <= ${spec.max} (got ${value})`;
  return undefined;
}

/** Checks one leaf value; returns what is wrong with it, or undefined when it is valid. */
export function checkValue(spec: KeySpec, value: unknown): string | undefined {
  if (value === null || value === undefined) return spec.nullable ? undefined : 'must not be null';
  switch (spec.kind) {
    case 'string':
      return checkString(spec, value);
    case 'integer':
    case 'number':
      return checkNumber(spec, value);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false (got ${show(value)})`;
    case 'enum': {
      const values = spec.values ?? [];
      return typeof value === 'string' && values.includes(value)
        ? undefined
        : `must be one of ${values.join(', ')} (got ${show(value)})`;
    }
    case 'string-list': {
      if (!Array.isArray(value)) return `must be a list of strings (got ${show(value)})`;
      const bad: string[] = [];
      value.forEach((item: unknown, i) => {
        const message = checkString(spec, item);
        if (message) bad.push(`item ${i} ${message}`);
      });
      return bad.length > 0 ? bad.join('; ') : undefined;
    }
  }
}

/**
 * Rules that involve more than one key. `valid` returns a key's value only when the value passed
 * `checkValue`, so a bad value is reported once, not again here.
 */
export function checkKeyRelations(valid: (path: ConfigKeyPath) => unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const bucket = valid('ingest.bucketMinutes');
  const lateness = valid('ingest.allowedLatenessMinutes');
  if (typeof bucket === 'number' && typeof lateness === 'number' && lateness >= bucket * 24) {
    problems.push({
      field: 'ingest.allowedLatenessMinutes',
      message: `must be less than 24 buckets (ingest.bucketMinutes * 24 = ${bucket * 24}, got ${lateness})`,
    });
  }
  const minBuckets = valid('model.minBuckets');
  const windowBuckets = valid('model.windowBuckets');
  if (typeof minBuckets === 'number' && typeof windowBuckets === 'number' && minBuckets > windowBuckets) {
    problems.push({
      field: 'model.minBuckets',
      message: `must not exceed model.windowBuckets (${windowBuckets}, got ${minBuckets})`,
    });
  }
  return problems;
}

const PORTFOLIO_FIELDS = ['id', 'currency', 'budget', 'maxChange', 'channels'];
const CHANNEL_FIELDS = ['id', 'platform', 'min', 'max', 'initialShare', 'attributed'];

function checkChannel(raw: unknown, path: string, problems: FieldProblem[]): ChannelConfig | undefined {
  if (!isPlainObject(raw)) {
    problems.push({ field: path, message: 'must be a mapping with id, platform, min and optionally max and initialShare' });
    return undefined;
  }
  const r = new FieldReader(raw, path);
  r.rejectUnknown(CHANNEL_FIELDS);
  const id = r.string('id', { pattern: IDENTIFIER });
  if (id === RESERVED_CHANNEL_ID) problems.push({ field: `${path}.id`, message: `"${RESERVED_CHANNEL_ID}" is reserved: the model's explanations call the organic revenue that` });
  const platform = r.string('platform', { pattern: PLATFORM });
  const min = r.number('min', { min: 0 });
  const max = r.number('max', { optional: true, min: 0 });
  const initialShare = r.number('initialShare', { optional: true, min: 0, max: 1 });
  const attributed = raw['attributed'];
  if (attributed !== undefined && attributed !== null && typeof attributed !== 'boolean') {
    problems.push({ field: `${path}.attributed`, message: `must be true or false (got ${show(attributed)})` });
  }
  problems.push(...r.problems);
  if (min !== undefined && max !== undefined && max < min) {
    problems.push({ field: `${path}.max`, message: `must be >= min (got max ${max} < min ${min})` });
    return undefined;
  }
  if (r.problems.length > 0 || id === undefined || platform === undefined || min === undefined) return undefined;
  return { id, platform, min, max: max ?? null, initialShare: initialShare ?? null, ...(attributed === true ? { attributed: true } : {}) };
}

function checkChannels(raw: unknown, path: string, budget: number | undefined, problems: FieldProblem[]): ChannelConfig[] | undefined {
  const field = `${path}.channels`;
  if (!Array.isArray(raw)) {
    problems.push({ field, message: raw === undefined || raw === null ? 'is required' : 'must be a list of channels' });
    return undefined;
  }
  if (raw.length === 0) {
    problems.push({ field, message: 'must list at least one channel' });
    return undefined;
  }
  const channels: ChannelConfig[] = [];
  const firstIndexById = new Map<string, number>();
  raw.forEach((item: unknown, j) => {
    const channel = checkChannel(item, `${field}[${j}]`, problems);
    const id = isPlainObject(item) && typeof item['id'] === 'string' ? item['id'] : undefined;
    if (id !== undefined) {
      const first = firstIndexById.get(id);
      if (first === undefined) firstIndexById.set(id, j);
      else problems.push({ field: `${field}[${j}].id`, message: `duplicates ${field}[${first}].id ("${id}")` });
    }
    if (channel) channels.push(channel);
  });
  // Sums use every valid value, so they are checked even when another field of a channel is wrong.
  const numbers = (name: string): number[] =>
    raw.map((item: unknown) => (isPlainObject(item) ? item[name] : undefined))
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0);
  const minSum = numbers('min').reduce((sum, v) => sum + v, 0);
  if (budget !== undefined && minSum - budget > 1e-9 * budget) {
    problems.push({ field, message: `channel minimums add up to ${minSum}, more than the budget ${budget}` });
  }
  // With a cap on every channel, the caps must leave room to spend the whole budget.
  if (budget !== undefined && channels.length === raw.length && channels.length > 0 && channels.every((c) => c.max !== null)) {
    const maxSum = channels.reduce((sum, c) => sum + (c.max ?? 0), 0);
    if (budget - maxSum > 1e-9 * budget) {
      problems.push({ field, message: `channel maximums add up to ${maxSum}, less than the budget ${budget}: it could never be spent` });
    }
  }
  const shares = numbers('initialShare').filter((v) => v <= 1);
  const shareSum = shares.reduce((sum, v) => sum + v, 0);
  if (shareSum > 1 + SHARE_TOLERANCE) {
    problems.push({ field, message: `initialShare values add up to ${shareSum}, more than 1` });
  } else if (channels.length === raw.length && channels.every((c) => c.initialShare !== null)
    && Math.abs(shareSum - 1) > SHARE_TOLERANCE) {
    problems.push({ field, message: `every channel has an initialShare, so they must add up to 1 (got ${shareSum})` });
  }
  if (channels.length !== raw.length) return undefined;
  return channels;
}

function checkPortfolio(raw: unknown, path: string, problems: FieldProblem[]): PortfolioConfig | undefined {
  if (!isPlainObject(raw)) {
    problems.push({ field: path, message: 'must be a mapping with id, currency, budget, maxChange and channels' });
    return undefined;
  }
  const before = problems.length;
  const r = new FieldReader(raw, path);
  r.rejectUnknown(PORTFOLIO_FIELDS);
  const id = r.string('id', { pattern: IDENTIFIER });
  const currency = r.string('currency', { pattern: CURRENCY });
  const budget = r.number('budget');
  const maxChange = r.number('maxChange', { max: 1 });
  problems.push(...r.problems);
  if (budget !== undefined && budget <= 0) problems.push({ field: `${path}.budget`, message: `must be > 0 (got ${budget})` });
  if (maxChange !== undefined && maxChange <= 0) {
    problems.push({ field: `${path}.maxChange`, message: `must be > 0 (got ${maxChange})` });
  }
  const validBudget = budget !== undefined && budget > 0 ? budget : undefined;
  const channels = checkChannels(raw['channels'], path, validBudget, problems);
  if (problems.length > before || !id || !currency || !validBudget || maxChange === undefined || !channels) return undefined;
  return { id, currency, budget: validBudget, maxChange, channels };
}

/** Checks the `portfolios` list; returns the typed list only when nothing is wrong with it. */
export function checkPortfolios(raw: unknown): { portfolios?: PortfolioConfig[]; problems: FieldProblem[] } {
  if (!Array.isArray(raw)) {
    return { problems: [{ field: 'portfolios', message: 'must be a list of portfolios' }] };
  }
  if (raw.length === 0) return { problems: [{ field: 'portfolios', message: 'must list at least one portfolio' }] };
  const problems: FieldProblem[] = [];
  const portfolios: PortfolioConfig[] = [];
  const firstIndexById = new Map<string, number>();
  raw.forEach((item: unknown, i) => {
    const path = `portfolios[${i}]`;
    const portfolio = checkPortfolio(item, path, problems);
    const id = isPlainObject(item) && typeof item['id'] === 'string' ? item['id'] : undefined;
    if (id !== undefined) {
      const first = firstIndexById.get(id);
      if (first === undefined) firstIndexById.set(id, i);
      else problems.push({ field: `${path}.id`, message: `duplicates portfolios[${first}].id ("${id}")` });
    }
    if (portfolio) portfolios.push(portfolio);
  });
  return problems.length > 0 ? { problems } : { portfolios, problems };
}
