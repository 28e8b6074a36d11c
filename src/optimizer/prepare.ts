/**
 * Turns an allocation problem into what the solvers work on — each channel's box (min/max,
 * max change, lock) and envelope shape, the groups with their effective bounds — and refuses, with
 * every reason at once, problems that have no feasible allocation.
 */
import { SpendflowError, type FieldProblem } from '../errors.ts';
import { channelShape, type ChannelShape } from './channel-shape.ts';
import type { AllocationProblem } from './problem.ts';

export interface PreparedGroup {
  readonly id: string;
  readonly members: readonly number[];
  /** max(group min, Σ member lo) and min(group max, Σ member hi). */
  readonly lower: number;
  readonly upper: number;
  readonly statedMin: number;
  readonly statedMax: number;
}

export interface Prepared {
  readonly problem: AllocationProblem;
  readonly shapes: ChannelShape[];
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Which limit makes each box end, for the `binding` list. */
  readonly loKind: ('min' | 'maxChange' | 'locked')[];
  readonly hiKind: ('max' | 'maxChange' | 'locked')[];
  readonly groups: readonly PreparedGroup[];
  /** Group index per channel, −1 when ungrouped. */
  readonly groupOf: Int32Array;
  readonly ungrouped: readonly number[];
  /** Least and most the whole problem can spend. */
  readonly minSpend: number;
  readonly maxSpend: number;
  readonly relaxations: string[];
}

function infeasible(message: string, problems: FieldProblem[]): never {
  throw new SpendflowError('PROBLEM_INFEASIBLE', message, { problems });
}

export function prepare(problem: AllocationProblem, relaxMaxChange = false): Prepared {
  const n = problem.channels.length;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const loKind: Prepared['loKind'] = [];
  const hiKind: Prepared['hiKind'] = [];
  const relaxations: string[] = [];
  const problems: FieldProblem[] = [];
  const band = problem.maxChange ?? null;

  const boxes = (useBand: boolean) => {
    const bad: FieldProblem[] = [];
    problem.channels.forEach((c, i) => {
      const path = `channels[${i}]`;
      lo[i] = c.min;
      hi[i] = c.max;
      loKind[i] = 'min';
      hiKind[i] = 'max';
      if (c.min > c.max) bad.push({ field: `${path}.min`, message: `min ${c.min} is above max ${c.max}` });
      if (c.locked) {
        if (c.current === undefined) {
          bad.push({ field: `${path}.current`, message: 'a locked channel needs current (the spend it is locked at)' });
          return;
        }
        if (c.current < c.min || c.current > c.max) {
          bad.push({ field: `${path}.current`, message: `locked at ${c.current}, outside [${c.min}, ${c.max}]` });
        }
        lo[i] = hi[i] = c.current;
        loKind[i] = hiKind[i] = 'locked';
        return;
      }
      if (useBand && band !== null && c.current !== undefined) {
        const down = c.current * (1 - band);
        const up = c.current * (1 + band);
        if (down > lo[i]!) {
          lo[i] = down;
          loKind[i] = 'maxChange';
        }
        if (up < hi[i]!) {
          hi[i] = up;
          hiKind[i] = 'maxChange';
        }
        if (lo[i]! > hi[i]!) {
          bad.push({
            field: `${path}.current`,
            message: `max change ±${band} around ${c.current} ([${down}, ${up}]) does not meet [${c.min}, ${c.max}]`,
          });
        }
      }
    });
    return bad;
  };

  let bad = boxes(true);
  const groupIndex = new Map((problem.groups ?? []).map((g, j) => [g.id, j]));
  const groupOf = new Int32Array(n).fill(-1);
  const members: number[][] = (problem.groups ?? []).map(() => []);
  problem.channels.forEach((c, i) => {
    if (c.group === undefined) return;
    const j = groupIndex.get(c.group);
    if (j === undefined) problems.push({ field: `channels[${i}].group`, message: `no group "${c.group}" in groups` });
    else {
      groupOf[i] = j;
      members[j]!.push(i);
    }
  });
  if (problems.length > 0) throw new SpendflowError('INPUT_INVALID', 'invalid problem', { problems });

  const build = () => {
    const issues: FieldProblem[] = [];
    const groups: PreparedGroup[] = (problem.groups ?? []).map((g, j) => {
      const m = members[j]!;
      const sumLo = m.reduce((s, i) => s + lo[i]!, 0);
      const sumHi = m.reduce((s, i) => s + hi[i]!, 0);
      const statedMin = g.min ?? 0;
      const statedMax = g.max ?? Infinity;
      const lower = Math.max(statedMin, sumLo);
      const upper = Math.min(statedMax, sumHi);
      if (statedMin > statedMax) issues.push({ field: `groups[${j}]`, message: `group "${g.id}": min ${statedMin} is above max ${statedMax}` });
      else if (lower > upper + 1e-9 * Math.max(1, upper)) {
        issues.push({
          field: `groups[${j}]`,
          message: `group "${g.id}" needs a total in [${statedMin}, ${statedMax}] but its channels allow only [${sumLo}, ${sumHi}]`,
        });
      }
      return { id: g.id, members: m, lower, upper: Math.max(lower, upper), statedMin, statedMax };
    });
    return { groups, issues };
  };
  let { groups, issues } = build();

  const ungrouped = [...Array(n).keys()].filter((i) => groupOf[i] === -1);
  const spendRange = () => {
    let minSpend = 0;
    let maxSpend = 0;
    for (const i of ungrouped) {
      minSpend += lo[i]!;
      maxSpend += hi[i]!;
    }
    for (const g of groups) {
      minSpend += g.lower;
      maxSpend += g.upper;
    }
    return { minSpend, maxSpend };
  };
  let { minSpend, maxSpend } = spendRange();
  const budget = problem.budget;
  const revenue = (problem.objective ?? 'revenue') === 'revenue';
  const budgetIssues = () => {
    const out: FieldProblem[] = [];
    const tol = 1e-9 * Math.max(1, budget);
    if (minSpend > budget + tol) {
      out.push({ field: 'budget', message: `the channel and group minimums add up to ${minSpend}, above the budget ${budget}` });
    }
    if (revenue && problem.minRoas == null && maxSpend < budget - tol) {
      out.push({ field: 'budget', message: `the channels can absorb at most ${maxSpend} of the budget ${budget} (their max, max change and group caps)` });
    }
    return out;
  };
  let all = [...bad, ...issues, ...budgetIssues()];
  if (all.length > 0 && relaxMaxChange && band !== null) {
    const withoutBand = boxes(false);
    ({ groups, issues } = build());
    ({ minSpend, maxSpend } = spendRange());
    const rest = [...withoutBand, ...issues, ...budgetIssues()];
    if (rest.length === 0) {
      relaxations.push(`maxChange ±${Math.round(band * 100)}% dropped: ${all.map((p) => p.message).join('; ')}`);
      all = [];
    } else {
      bad = withoutBand;
      all = rest;
    }
  }
  if (all.length > 0) infeasible(`infeasible problem: ${all.map((p) => p.message).join('; ')}`, all);

  const shapes = problem.channels.map((c, i) => channelShape(c.curve, lo[i]!, hi[i]!));
  return { problem, shapes, lo, hi, loKind, hiKind, groups, groupOf, ungrouped, minSpend, maxSpend, relaxations };
}
