/**
 * Checks untrusted config values against the schema. Every function collects problems instead of
 * stopping at the first, with field paths such as `kafka.partitions` or
 * `portfolios[0].channels[1].max`; the loader attributes them to a file or environment variable.
 */
import type { FieldProblem } from '../errors.ts';
import { CURRENCY, FieldReader, IDENTIFIER, isPlainObject } from '../events/fields.ts';
import { PLATFORM, type ConfigKeyPath, type KeySpec } from './schema.ts';
import type { ChannelConfig, ChannelGroupConfig, PortfolioConfig, PortfolioObjective } from './types.ts';

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

const PORTFOLIO_FIELDS = ['id', 'currency', 'budget', 'maxChange', 'channels', 'objective', 'minRoas', 'groups'];
const CHANNEL_FIELDS = ['id', 'platform', 'min', 'max', 'initialShare', 'attributed', 'locked', 'group'];
const GROUP_FIELDS = ['id', 'min', 'max'];
const OBJECTIVE_FIELDS = ['type', 'margin'];
const OBJECTIVE_TYPES = ['revenue', 'profit'];

/** The field `name` under `path`; at the root (path '') just `name`. */
function at(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** a > b beyond rounding: sums of budgets are compared with a relative tolerance. */
function exceeds(a: number, b: number): boolean {
  return a - b > 1e-9 * Math.max(1, Math.abs(b));
}

/** An optional boolean (null or absent: not set); a problem when it is anything else. */
function checkFlag(raw: Record<string, unknown>, name: string, path: string, problems: FieldProblem[]): boolean | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  problems.push({ field: at(path, name), message: `must be true or false (got ${show(value)})` });
  return undefined;
}

function checkChannel(raw: unknown, path: string, problems: FieldProblem[]): ChannelConfig | undefined {
  if (!isPlainObject(raw)) {
    problems.push({ field: path, message: 'must be a mapping with id, platform, min and optionally max and initialShare' });
    return undefined;
  }
  const before = problems.length;
  const r = new FieldReader(raw, path);
  r.rejectUnknown(CHANNEL_FIELDS);
  const id = r.string('id', { pattern: IDENTIFIER });
  if (id === RESERVED_CHANNEL_ID) problems.push({ field: `${path}.id`, message: `"${RESERVED_CHANNEL_ID}" is reserved: the model's explanations call the organic revenue that` });
  const platform = r.string('platform', { pattern: PLATFORM });
  const min = r.number('min', { min: 0 });
  const max = r.number('max', { optional: true, min: 0 });
  const initialShare = r.number('initialShare', { optional: true, min: 0, max: 1 });
  const group = r.string('group', { optional: true, pattern: IDENTIFIER });
  const attributed = checkFlag(raw, 'attributed', path, problems);
  const locked = checkFlag(raw, 'locked', path, problems);
  problems.push(...r.problems);
  if (min !== undefined && max !== undefined && max < min) {
    problems.push({ field: `${path}.max`, message: `must be >= min (got max ${max} < min ${min})` });
    return undefined;
  }
  if (problems.length > before || id === undefined || platform === undefined || min === undefined) return undefined;
  return {
    id,
    platform,
    min,
    max: max ?? null,
    initialShare: initialShare ?? null,
    ...(attributed === true ? { attributed: true } : {}),
    ...(locked === true ? { locked: true } : {}),
    ...(group === undefined ? {} : { group }),
  };
}

function checkChannels(raw: unknown, path: string, budget: number | undefined, problems: FieldProblem[]): ChannelConfig[] | undefined {
  const field = at(path, 'channels');
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

/** `objective`: `{ type: revenue }` or `{ type: profit, margin: m }` with m > 0. */
function checkObjective(raw: unknown, path: string, problems: FieldProblem[]): PortfolioObjective | undefined {
  const field = at(path, 'objective');
  if (!isPlainObject(raw)) {
    problems.push({ field, message: `must be a mapping: { type: revenue } or { type: profit, margin: <number > 0> } (got ${show(raw)})` });
    return undefined;
  }
  const before = problems.length;
  const r = new FieldReader(raw, field);
  r.rejectUnknown(OBJECTIVE_FIELDS);
  problems.push(...r.problems);
  const type = raw['type'];
  if (type === undefined || type === null) {
    problems.push({ field: `${field}.type`, message: 'is required: revenue or profit' });
  } else if (typeof type !== 'string' || !OBJECTIVE_TYPES.includes(type)) {
    problems.push({ field: `${field}.type`, message: `must be one of ${OBJECTIVE_TYPES.join(', ')} (got ${show(type)})` });
  }
  const rawMargin = raw['margin'];
  let margin: number | undefined;
  if (type === 'profit') {
    if (rawMargin === undefined || rawMargin === null) {
      problems.push({ field: `${field}.margin`, message: 'is required by the profit objective (profit = margin * revenue - spend)' });
    } else if (typeof rawMargin !== 'number' || !Number.isFinite(rawMargin)) {
      problems.push({ field: `${field}.margin`, message: `must be a number (got ${show(rawMargin)})` });
    } else if (rawMargin <= 0) {
      problems.push({ field: `${field}.margin`, message: `must be > 0 (got ${rawMargin})` });
    } else {
      margin = rawMargin;
    }
  } else if (type === 'revenue' && rawMargin !== undefined && rawMargin !== null) {
    problems.push({ field: `${field}.margin`, message: 'applies only to the profit objective: remove it, or set type: profit' });
  }
  if (problems.length > before) return undefined;
  return type === 'profit' && margin !== undefined ? { type: 'profit', margin } : { type: 'revenue' };
}

/** A group bound: a number >= 0, or null / absent for none. */
function groupBound(r: FieldReader, raw: Record<string, unknown>, name: string): number | null | undefined {
  return raw[name] === null || raw[name] === undefined ? null : r.number(name, { min: 0 });
}

/**
 * `groups`: ids unique, each bound >= 0 or null, min <= max, minimums within the budget. Returns
 * the typed list when all of it is valid, and the ids named (undefined when `groups` is not a list
 * at all, so channels' references to it are not checked against nothing).
 */
function checkGroups(raw: unknown, path: string, budget: number | undefined, problems: FieldProblem[]): { groups?: ChannelGroupConfig[]; ids?: Set<string> } {
  const field = at(path, 'groups');
  if (raw === undefined || raw === null) return { ids: new Set() };
  if (!Array.isArray(raw)) {
    problems.push({ field, message: `must be a list of groups, each with id and optionally min and max (got ${show(raw)})` });
    return {};
  }
  const before = problems.length;
  const groups: ChannelGroupConfig[] = [];
  const firstIndexById = new Map<string, number>();
  raw.forEach((item: unknown, k) => {
    const itemPath = `${field}[${k}]`;
    if (!isPlainObject(item)) {
      problems.push({ field: itemPath, message: 'must be a mapping with id and optionally min and max' });
      return;
    }
    const g = new FieldReader(item, itemPath);
    g.rejectUnknown(GROUP_FIELDS);
    const id = g.string('id', { pattern: IDENTIFIER });
    const min = groupBound(g, item, 'min');
    const max = groupBound(g, item, 'max');
    problems.push(...g.problems);
    const rawId = item['id'];
    if (typeof rawId === 'string') {
      const first = firstIndexById.get(rawId);
      if (first === undefined) firstIndexById.set(rawId, k);
      else problems.push({ field: `${itemPath}.id`, message: `duplicates ${field}[${first}].id ("${rawId}")` });
    }
    if (typeof min === 'number' && typeof max === 'number' && max < min) {
      problems.push({ field: `${itemPath}.max`, message: `must be >= min (got max ${max} < min ${min})` });
      return;
    }
    if (g.problems.length === 0 && id !== undefined && min !== undefined && max !== undefined) groups.push({ id, min, max });
  });
  // Channels belong to one group at most, so the group minimums all come out of the one budget.
  const minSum = raw.map((item: unknown) => (isPlainObject(item) ? item['min'] : undefined))
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0)
    .reduce((sum, v) => sum + v, 0);
  if (budget !== undefined && exceeds(minSum, budget)) {
    problems.push({ field, message: `group minimums add up to ${minSum}, more than the budget ${budget}` });
  }
  return { ...(problems.length > before ? {} : { groups }), ids: new Set(firstIndexById.keys()) };
}

/** Rules between a valid channel list and a valid group list: each group's bounds must be reachable. */
function checkGroupBounds(channels: readonly ChannelConfig[], groups: readonly ChannelGroupConfig[], path: string, budget: number, problems: FieldProblem[]): void {
  const field = at(path, 'groups');
  let capacity = 0; // the most that channel and group caps together let be spent
  channels.forEach((c) => {
    if (c.group === undefined) capacity += c.max ?? Infinity;
  });
  groups.forEach((g, k) => {
    const members = channels.filter((c) => c.group === g.id);
    const minSum = members.reduce((sum, c) => sum + c.min, 0);
    const maxSum = members.reduce((sum, c) => sum + (c.max ?? Infinity), 0);
    if (g.max !== null && exceeds(minSum, g.max)) {
      problems.push({ field: `${field}[${k}].max`, message: `is less than the minimums of the group's channels, which add up to ${minSum} (got ${g.max})` });
    }
    if (g.min !== null && exceeds(g.min, maxSum)) {
      problems.push({
        field: `${field}[${k}].min`,
        message: members.length === 0
          ? `can never be met: no channel names group "${g.id}" (got ${g.min})`
          : `is more than the maximums of the group's channels, which add up to ${maxSum} (got ${g.min})`,
      });
    }
    capacity += Math.min(g.max ?? Infinity, maxSum);
  });
  // The channel caps alone are checked with the channels; this is about what the group caps add.
  const channelCapacity = channels.reduce((sum, c) => sum + (c.max ?? Infinity), 0);
  if (!exceeds(budget, channelCapacity) && exceeds(budget, capacity)) {
    problems.push({ field, message: `channel and group maximums let at most ${capacity} be spent, less than the budget ${budget}: it could never be spent` });
  }
}

/**
 * Checks one portfolio (a file's `portfolios[i]`, or a `PUT /v1/portfolios/:id` body) and returns
 * it typed only when nothing is wrong with it. Problems are named under `path`: with the default
 * '' they read `budget`, `channels[1].max`, `groups[0].min`. Optional fields that are absent stay
 * absent in the result.
 */
export function validatePortfolio(raw: unknown, path = ''): { portfolio?: PortfolioConfig; problems: FieldProblem[] } {
  if (!isPlainObject(raw)) {
    return { problems: [{ field: path || '(root)', message: 'must be a mapping with id, currency, budget, maxChange and channels' }] };
  }
  const problems: FieldProblem[] = [];
  const r = new FieldReader(raw, path);
  r.rejectUnknown(PORTFOLIO_FIELDS);
  const id = r.string('id', { pattern: IDENTIFIER });
  const currency = r.string('currency', { pattern: CURRENCY });
  const budget = r.number('budget');
  const maxChange = r.number('maxChange', { max: 1 });
  const minRoas = raw['minRoas'] === null ? null : r.number('minRoas', { optional: true });
  problems.push(...r.problems);
  if (budget !== undefined && budget <= 0) problems.push({ field: at(path, 'budget'), message: `must be > 0 (got ${budget})` });
  if (maxChange !== undefined && maxChange <= 0) {
    problems.push({ field: at(path, 'maxChange'), message: `must be > 0 (got ${maxChange})` });
  }
  if (typeof minRoas === 'number' && minRoas <= 0) {
    problems.push({ field: at(path, 'minRoas'), message: `must be > 0 (got ${minRoas}); use null or leave it out for no floor` });
  }
  const objective = raw['objective'] === undefined || raw['objective'] === null ? undefined : checkObjective(raw['objective'], path, problems);
  const validBudget = budget !== undefined && budget > 0 ? budget : undefined;
  const { groups, ids: groupIds } = checkGroups(raw['groups'], path, validBudget, problems);
  const channels = checkChannels(raw['channels'], path, validBudget, problems);

  // A channel's group must be one of the portfolio's groups (checked even when the channel has other problems).
  const rawChannels = raw['channels'];
  if (groupIds !== undefined && Array.isArray(rawChannels)) {
    rawChannels.forEach((item: unknown, j) => {
      const group = isPlainObject(item) ? item['group'] : undefined;
      if (typeof group !== 'string' || !IDENTIFIER.test(group) || groupIds.has(group)) return;
      problems.push({
        field: `${at(path, 'channels')}[${j}].group`,
        message: groupIds.size === 0
          ? `names group "${group}", but the portfolio has no groups (add it under ${at(path, 'groups')})`
          : `names group "${group}", which is not in ${at(path, 'groups')} (${[...groupIds].map((g) => `"${g}"`).join(', ')})`,
      });
    });
  }
  if (problems.length === 0 && channels && groups && validBudget !== undefined) checkGroupBounds(channels, groups, path, validBudget, problems);

  if (problems.length > 0 || !id || !currency || !validBudget || maxChange === undefined || !channels) return { problems };
  const portfolio: PortfolioConfig = {
    id,
    currency,
    budget: validBudget,
    maxChange,
    channels,
    ...(objective === undefined ? {} : { objective }),
    ...(minRoas === undefined ? {} : { minRoas }),
    ...(groups === undefined ? {} : { groups }),
  };
  return { portfolio, problems };
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
    const { portfolio, problems: portfolioProblems } = validatePortfolio(item, path);
    problems.push(...portfolioProblems);
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
