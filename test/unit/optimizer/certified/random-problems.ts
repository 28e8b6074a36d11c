/**
 * Seeded generator of small allocation problems (2–5 channels) of every kind the certified solver
 * handles. Every number that bounds a spend (min, max, current, the max-change band ends, group
 * bounds, the budget) is a multiple of the problem's grid `step`, so the grid reference
 * (reference.ts) is exact on the corners of the feasible set. ROAS floors and margins are chosen
 * from the reference's response profile, so a floor is always reachable on the grid (and hence
 * really reachable) and sometimes binding, sometimes not.
 */
import type { CurveSpec } from '../../../../src/model/curves/types.ts';
import type { AllocationProblem, ChannelProblem, GroupConstraint } from '../../../../src/optimizer/problem.ts';
import { seededRandom, type Random } from '../../../../src/random.ts';
import { channelBox, referenceSolve, responseProfile, roasUpperBound, type ResponseProfile } from './reference.ts';

export const feasibleKinds = [
  'concave',
  'concave-bounds',
  's-shaped',
  'max-change',
  'locked',
  'groups',
  'min-roas',
  'profit',
  'mixed',
] as const;
export type FeasibleKind = (typeof feasibleKinds)[number];

export const infeasibleCauses = ['sum-min', 'group-max', 'group-min', 'caps', 'roas', 'band', 'locked'] as const;
export type InfeasibleCause = (typeof infeasibleCauses)[number];

export interface GeneratedProblem {
  readonly label: string;
  readonly problem: AllocationProblem;
  /** Grid step: every bound is a multiple of it, and budget / step is 200–400. */
  readonly step: number;
  /** Every curve concave (exp, log, hill with s ≤ 1). */
  readonly allConcave: boolean;
}

const STEPS = [0.5, 1, 4, 25] as const;
const BANDS = [0.1, 0.2, 0.25, 0.5] as const;
/** Grid units per band unit: current = BAND_UNIT·h·a puts current·(1 ± band) on the grid. */
const BAND_UNIT: Record<(typeof BANDS)[number], number> = { 0.1: 10, 0.2: 5, 0.25: 4, 0.5: 2 };

const uniform = (rng: Random, a: number, b: number) => a + (b - a) * rng.next();
const pick = <T>(rng: Random, xs: readonly T[]): T => xs[rng.int(xs.length)]!;
function shuffle<T>(rng: Random, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function concaveCurve(rng: Random, scale: number): CurveSpec {
  switch (rng.int(3)) {
    case 0:
      return { type: 'exp', beta: scale * uniform(rng, 0.5, 4), k: scale * uniform(rng, 0.2, 2) };
    case 1:
      return { type: 'log', beta: scale * uniform(rng, 0.2, 1.5), k: scale * uniform(rng, 0.05, 1) };
    default:
      return { type: 'hill', beta: scale * uniform(rng, 0.5, 4), k: scale * uniform(rng, 0.2, 2), s: rng.next() < 0.2 ? 1 : uniform(rng, 0.4, 1) };
  }
}

function sShapedCurve(rng: Random, scale: number): CurveSpec {
  return { type: 'hill', beta: scale * uniform(rng, 0.5, 4), k: scale * uniform(rng, 0.2, 1.5), s: uniform(rng, 1.5, 3.5) };
}

const isConcave = (c: CurveSpec) => c.type !== 'hill' || c.s <= 1;

interface Base {
  readonly rng: Random;
  readonly n: number;
  readonly step: number;
  readonly units: number;
  readonly budget: number;
  readonly curves: CurveSpec[];
}

/**
 * n channels, a grid step, 200–400 grid units (a multiple of 20). Curves: 'concave' all concave;
 * 's' at least one S-shaped (each channel S with probability 0.6); 'either' is one of the two with
 * equal odds (so every constrained kind has concave problems, where the gap must vanish, and S mixes).
 */
function base(rng: Random, shapes: 'concave' | 's' | 'either'): Base {
  const n = 2 + rng.int(4);
  const step = pick(rng, STEPS);
  const units = 20 * (10 + rng.int(11));
  const budget = units * step;
  const scale = budget / n;
  const withS = shapes === 's' || (shapes === 'either' && rng.next() < 0.5);
  const curves = Array.from({ length: n }, () => (withS && rng.next() < 0.6 ? sShapedCurve(rng, scale) : concaveCurve(rng, scale)));
  if (withS && curves.every(isConcave)) curves[rng.int(n)] = sShapedCurve(rng, scale);
  return { rng, n, step, units, budget, curves };
}

/** Grid-aligned mins (small) and maxes (some infinite), with Σmax ≥ budget. */
function bounds(b: Base, pMin: number, pMax: number): { min: number[]; max: number[] } {
  const { rng, n, step, units } = b;
  const min = Array.from({ length: n }, () => (rng.next() < pMin ? step * (1 + rng.int(Math.floor((0.3 * units) / n))) : 0));
  const max = min.map((lo) => (rng.next() < pMax ? lo + step * Math.floor(units * uniform(rng, 0.1, 0.7)) : Infinity));
  const sumMax = max.reduce((s, v) => s + v, 0);
  if (sumMax < b.budget) max[rng.int(n)] = Infinity;
  return { min, max };
}

function channels(b: Base, min: readonly number[], max: readonly number[], extra: (i: number) => Partial<ChannelProblem> = () => ({})): ChannelProblem[] {
  return b.curves.map((curve, i) => ({ id: `c${i}`, curve, min: min[i]!, max: max[i]!, ...extra(i) }));
}

/** Splits `total` units into `n` positive integer parts (total ≥ n). */
function split(rng: Random, total: number, n: number): number[] {
  const w = Array.from({ length: n }, () => 0.2 + rng.next());
  const sum = w.reduce((s, v) => s + v, 0);
  const parts = w.map((v) => Math.max(1, Math.floor((v / sum) * total)));
  let rest = total - parts.reduce((s, v) => s + v, 0);
  for (let i = 0; rest !== 0; i = (i + 1) % n) {
    if (rest > 0) {
      parts[i]!++;
      rest--;
    } else if (parts[i]! > 1) {
      parts[i]!--;
      rest++;
    }
  }
  return parts;
}

/** A current allocation of the whole budget on the band grid, and the band. */
function currents(b: Base): { band: (typeof BANDS)[number]; current: number[] } {
  const band = pick(b.rng, BANDS);
  const unit = BAND_UNIT[band];
  const parts = split(b.rng, b.units / unit, b.n);
  return { band, current: parts.map((a) => a * unit * b.step) };
}

/** One or two groups over random members (each non-empty), with grid-aligned bounds. */
function groups(b: Base, chans: ChannelProblem[]): { chans: ChannelProblem[]; groups: GroupConstraint[] } {
  const { rng, n, step, units } = b;
  const count = n >= 3 && rng.next() < 0.5 ? 2 : 1;
  // The first `count` channels of a shuffled order seed the groups (so none is empty); the rest
  // join a random group or none.
  const order = shuffle(rng, chans.map((_, i) => i));
  const member = new Array<number>(n).fill(-1);
  order.forEach((i, j) => {
    member[i] = j < count ? j : rng.next() < 0.6 ? rng.int(count) : -1;
  });
  const out = chans.map((c, i) => (member[i]! >= 0 ? { ...c, group: `g${member[i]}` } : c));
  const gs: GroupConstraint[] = [];
  for (let g = 0; g < count; g++) {
    const inG = out.filter((c) => c.group === `g${g}`);
    const lo = inG.reduce((s, c) => s + channelBox(c, undefined).lo, 0);
    const hiRaw = inG.reduce((s, c) => s + channelBox(c, undefined).hi, 0);
    const hi = Math.min(hiRaw, b.budget);
    const loU = Math.round(lo / step);
    const hiU = Math.round(hi / step);
    const mode = rng.int(3); // 0: min only, 1: max only, 2: both
    const gminU = loU + Math.floor(rng.next() * 0.8 * Math.max(0, hiU - loU));
    const gmaxU = Math.min(units, Math.max(gminU, loU) + Math.floor(uniform(rng, 0.05, 0.9) * Math.max(0, hiU - loU)));
    const group: GroupConstraint = mode === 0 ? { id: `g${g}`, min: gminU * step } : mode === 1 ? { id: `g${g}`, max: gmaxU * step } : { id: `g${g}`, min: Math.min(gminU, gmaxU) * step, max: gmaxU * step };
    gs.push(group);
  }
  return { chans: out, groups: gs };
}

function feasibleRoas(profile: ResponseProfile): { max: number; ratios: Map<number, number> } {
  const ratios = new Map<number, number>();
  let max = 0;
  for (let bu = 1; bu <= profile.units; bu++) {
    const v = profile.best[bu]!;
    if (v === -Infinity) continue;
    const r = v / (bu * profile.step);
    ratios.set(bu, r);
    max = Math.max(max, r);
  }
  return { max, ratios };
}

/**
 * A ROAS floor reachable on the grid: below the ROAS of the optimum without a floor (not binding)
 * or between it and the best grid ROAS (binding). `optimumUnits` is the spend of the optimum
 * without the floor. Undefined when no positive spend is feasible.
 */
function chooseRoas(rng: Random, profile: ResponseProfile, optimumUnits: number | null): number | undefined {
  const { max, ratios } = feasibleRoas(profile);
  if (ratios.size === 0) return undefined;
  const at = optimumUnits === null ? undefined : ratios.get(optimumUnits);
  if (at === undefined) return max * uniform(rng, 0.3, 0.95);
  return rng.next() < 0.5 ? at * uniform(rng, 0.3, 0.95) : at + uniform(rng, 0.15, 0.85) * (max - at);
}

/** A margin for the profit objective: the budget binding (marginal return at the budget above 1/margin) or an interior spend. */
function chooseMargin(rng: Random, profile: ResponseProfile): number {
  const { best, units, step } = profile;
  const slope = (bu: number) => (best[Math.min(units, bu + 1)]! - best[Math.max(0, bu - 1)]!) / ((Math.min(units, bu + 1) - Math.max(0, bu - 1)) * step);
  const target = rng.next() < 0.4 ? units : Math.round(units * uniform(rng, 0.15, 0.85));
  const d = slope(target);
  const okD = Number.isFinite(d) && d > 0 ? d : best[units]! / (units * step);
  return (target === units ? uniform(rng, 1.2, 3) : 1) / okD;
}

export function generateProblem(kind: FeasibleKind, index: number): GeneratedProblem {
  const seed = 7_000_000 + feasibleKinds.indexOf(kind) * 10_000 + index;
  for (let attempt = 0; attempt < 50; attempt++) {
    const rng = seededRandom(seed * 64 + attempt);
    const generated = build(kind, rng);
    if (generated === null) continue;
    const { problem, step } = generated;
    return {
      label: `${kind} #${index} (seed ${seed}, attempt ${attempt})`,
      problem,
      step,
      allConcave: problem.channels.every((c) => isConcave(c.curve)),
    };
  }
  throw new Error(`could not generate a ${kind} problem for index ${index}`);
}

/** One candidate problem of `kind`, or null to try again (only profit problems are redrawn: they must have a positive optimum). */
function build(kind: FeasibleKind, rng: Random): { problem: AllocationProblem; step: number } | null {
  switch (kind) {
    case 'concave': {
      const b = base(rng, 'concave');
      return { problem: { budget: b.budget, channels: channels(b, b.curves.map(() => 0), b.curves.map(() => Infinity)) }, step: b.step };
    }
    case 'concave-bounds': {
      const b = base(rng, 'concave');
      const { min, max } = bounds(b, 0.6, 0.6);
      return { problem: { budget: b.budget, channels: channels(b, min, max) }, step: b.step };
    }
    case 's-shaped': {
      const b = base(rng, 's');
      const { min, max } = rng.next() < 0.5 ? bounds(b, 0.5, 0.5) : { min: b.curves.map(() => 0), max: b.curves.map(() => Infinity) };
      return { problem: { budget: b.budget, channels: channels(b, min, max) }, step: b.step };
    }
    case 'max-change': {
      const b = base(rng, 'either');
      const { band, current } = currents(b);
      const withCurrent = current.map(() => rng.next() < 0.8);
      // Caps at or above the current spend keep Σhi ≥ budget; some caps bind inside the band.
      const max = current.map((c) => (rng.next() < 0.3 ? c + b.step * rng.int(Math.max(1, Math.round((band * c) / b.step))) : Infinity));
      const chans = channels(b, b.curves.map(() => 0), max, (i) => (withCurrent[i] ? { current: current[i]! } : {}));
      return { problem: { budget: b.budget, channels: chans, maxChange: band }, step: b.step };
    }
    case 'locked': {
      const b = base(rng, 'either');
      const lockedCount = 1 + rng.int(b.n - 1);
      const order = shuffle(rng, b.curves.map((_, i) => i));
      const locked = new Set(order.slice(0, lockedCount));
      const free = order[lockedCount]!;
      const lockedSpend = split(rng, Math.floor(b.units * uniform(rng, 0.1, 0.6)), lockedCount).map((u) => u * b.step);
      const { min, max } = bounds(b, 0.3, 0.3);
      max[free] = Infinity;
      let j = 0;
      const chans = channels(b, min, max, (i) => {
        if (!locked.has(i)) return {};
        const cur = lockedSpend[j++]!;
        return { current: cur, locked: true };
      }).map((c) => (c.locked ? { ...c, min: Math.min(c.min, c.current!), max: Math.max(c.max, c.current!) } : c));
      return { problem: { budget: b.budget, channels: chans }, step: b.step };
    }
    case 'groups': {
      const b = base(rng, 'either');
      const { min, max } = bounds(b, 0.4, 0.4);
      const g = groups(b, channels(b, min, max));
      return { problem: { budget: b.budget, channels: g.chans, groups: g.groups }, step: b.step };
    }
    case 'min-roas': {
      const b = base(rng, 'either');
      // Caps may stay below the budget here: with a ROAS floor the budget may be under-spent.
      const { min, max } = bounds(b, 0.4, 0.5);
      if (rng.next() < 0.2) for (let i = 0; i < b.n; i++) if (max[i] === Infinity) max[i] = min[i]! + b.step * Math.floor(b.units * uniform(rng, 0.05, 0.3));
      let chans = channels(b, min, max);
      let gs: GroupConstraint[] | undefined;
      if (rng.next() < 0.3) ({ chans, groups: gs } = groups(b, chans));
      const draft: AllocationProblem = { budget: b.budget, channels: chans, ...(gs ? { groups: gs } : {}) };
      const profile = responseProfile(draft, b.step);
      const optimum = profile.best.reduce((arg, v, i) => (v > profile.best[arg]! ? i : arg), 0);
      const r = chooseRoas(rng, profile, profile.best[optimum] === -Infinity ? null : optimum);
      if (r === undefined) return null;
      return { problem: { ...draft, minRoas: r }, step: b.step };
    }
    case 'profit': {
      const b = base(rng, 'either');
      const { min, max } = rng.next() < 0.5 ? bounds(b, 0.3, 0.5) : { min: b.curves.map(() => 0), max: b.curves.map(() => Infinity) };
      let chans = channels(b, min, max);
      let gs: GroupConstraint[] | undefined;
      if (rng.next() < 0.3) ({ chans, groups: gs } = groups(b, chans));
      const draft: AllocationProblem = { budget: b.budget, objective: 'profit', channels: chans, ...(gs ? { groups: gs } : {}) };
      const profile = responseProfile(draft, b.step);
      if (profile.best[profile.units] === -Infinity) return null;
      const margin = chooseMargin(rng, profile);
      let problem: AllocationProblem = { ...draft, margin };
      if (rng.next() < 0.3) {
        const noFloor = referenceSolve(problem, b.step);
        const r = chooseRoas(rng, profile, noFloor.feasible ? Math.round(noFloor.spend / b.step) : null);
        if (r !== undefined) problem = { ...problem, minRoas: r };
      }
      const ref = referenceSolve(problem, b.step);
      if (!ref.feasible || ref.value <= 0.01 * b.budget) return null;
      return { problem, step: b.step };
    }
    case 'mixed': {
      const b = base(rng, 'either');
      const { min, max } = bounds(b, 0.3, 0.3);
      const useBand = rng.next() < 0.5;
      const { band, current } = currents(b);
      const lockedAt = rng.next() < 0.4 ? rng.int(b.n) : -1;
      let chans = channels(b, min, max, (i) => {
        if (i === lockedAt) return { current: current[i]!, locked: true };
        return useBand && rng.next() < 0.7 ? { current: current[i]! } : {};
      }).map((c) => (c.current === undefined ? c : { ...c, min: Math.min(c.min, c.current * (1 - (useBand ? band : 0))), max: Math.max(c.max, c.current) }));
      let gs: GroupConstraint[] | undefined;
      if (rng.next() < 0.5) ({ chans, groups: gs } = groups(b, chans));
      const profit = rng.next() < 0.4;
      const draft: AllocationProblem = {
        budget: b.budget,
        channels: chans,
        ...(gs ? { groups: gs } : {}),
        ...(useBand ? { maxChange: band } : {}),
        ...(profit ? { objective: 'profit' as const } : {}),
      };
      const profile = responseProfile(draft, b.step);
      let problem = draft;
      if (profit) {
        if (profile.best[profile.units] === -Infinity) return null;
        problem = { ...problem, margin: chooseMargin(rng, profile) };
      }
      if (rng.next() < 0.35) {
        const noFloor = referenceSolve(problem, b.step);
        const r = chooseRoas(rng, profile, noFloor.feasible ? Math.round(noFloor.spend / b.step) : null);
        if (r !== undefined) problem = { ...problem, minRoas: r };
      }
      if (profit) {
        const ref = referenceSolve(problem, b.step);
        if (!ref.feasible || ref.value <= 0.01 * b.budget) return null;
      }
      return { problem, step: b.step };
    }
  }
}

export interface InfeasibleProblem extends GeneratedProblem {
  readonly cause: InfeasibleCause;
}

/**
 * Deliberately infeasible problems, one cause each, with margins far from any grid effect:
 *  - sum-min: Σ min exceeds the budget by at least one grid step;
 *  - group-max: a group's max is below the Σ min of its channels;
 *  - group-min: a group's min is above the Σ max of its channels;
 *  - caps: revenue objective, no ROAS floor, Σ max below the budget;
 *  - roas: the floor is 5% above a rigorous bound on Σf/Σx (roasUpperBound), and some channel has
 *    min > 0 so the empty allocation is excluded too;
 *  - band: every channel has `current`, revenue, and Σ current·(1 + band) < budget (no relaxMaxChange);
 *  - locked: the locked spends alone exceed the budget.
 */
export function generateInfeasible(cause: InfeasibleCause, index: number): InfeasibleProblem {
  const seed = 9_000_000 + infeasibleCauses.indexOf(cause) * 10_000 + index;
  const rng = seededRandom(seed);
  const b = base(rng, cause === 'roas' ? 'concave' : 'either');
  const { rng: r, n, step, units, budget } = b;
  const zeros = b.curves.map(() => 0);
  const infs = b.curves.map(() => Infinity);
  const objective = r.next() < 0.5 ? {} : { objective: 'profit' as const, margin: uniform(r, 1, 3) };
  let problem: AllocationProblem;
  switch (cause) {
    case 'sum-min': {
      const mins = split(r, units + 1 + r.int(units / 2), n).map((u) => u * step);
      problem = { budget, channels: channels(b, mins, infs), ...objective };
      break;
    }
    case 'group-max': {
      const mins = split(r, Math.floor(units * 0.6), n).map((u) => u * step);
      const chans = channels(b, mins, infs).map((c, i) => (i < 2 ? { ...c, group: 'gx' } : c));
      const sumMin = mins[0]! + mins[1]!;
      problem = { budget, channels: chans, groups: [{ id: 'gx', max: sumMin - step * (1 + r.int(5)) }], ...objective };
      break;
    }
    case 'group-min': {
      // Members: channels 0 and 1 (only 0 when n = 2); the last channel is uncapped and outside.
      const maxes = split(r, Math.floor(units * 0.5), n).map((u) => u * step);
      maxes[n - 1] = Infinity;
      const inGroup = (i: number) => i < Math.min(2, n - 1);
      const chans = channels(b, zeros, maxes).map((c, i) => (inGroup(i) ? { ...c, group: 'gm' } : c));
      const sumMax = maxes.reduce((s, m, i) => (inGroup(i) ? s + m : s), 0);
      problem = { budget, channels: chans, groups: [{ id: 'gm', min: sumMax + step * (1 + r.int(5)) }], ...objective };
      break;
    }
    case 'caps': {
      const maxes = split(r, units - 1 - r.int(units / 2), n).map((u) => u * step);
      problem = { budget, channels: channels(b, zeros, maxes) };
      break;
    }
    case 'roas': {
      const mins = zeros.slice();
      mins[r.int(n)] = step * (1 + r.int(Math.floor(units / (2 * n))));
      // Hill curves with s < 1 have unbounded f(x)/x near 0: make them s = 1 so the bound is finite.
      const chans = channels(b, mins, infs).map((c) => (c.curve.type === 'hill' && c.curve.s < 1 ? { ...c, curve: { ...c.curve, s: 1 } } : c));
      const draft: AllocationProblem = { budget, channels: chans, ...objective };
      const bound = roasUpperBound(draft);
      if (!Number.isFinite(bound)) throw new Error('roas infeasibility needs bounded ROAS curves');
      problem = { ...draft, minRoas: 1.05 * bound };
      break;
    }
    case 'band': {
      const band = pick(r, BANDS);
      const unit = BAND_UNIT[band];
      // Σ current ≤ budget / (1 + band) − a few band units, so Σ current·(1 + band) < budget.
      const total = Math.floor(units / unit / (1 + band)) - 1 - r.int(3);
      const current = split(r, total, n).map((a) => a * unit * step);
      problem = { budget, channels: channels(b, zeros, infs, (i) => ({ current: current[i]! })), maxChange: band };
      break;
    }
    case 'locked': {
      const locked = split(r, units + 1 + r.int(units / 2), 2).map((u) => u * step);
      problem = {
        budget,
        channels: channels(b, zeros, infs, (i) => (i < 2 ? { current: locked[i]!, locked: true } : {})),
        ...objective,
      };
      break;
    }
  }
  return {
    label: `infeasible ${cause} #${index} (seed ${seed})`,
    problem,
    step,
    allConcave: problem.channels.every((c) => isConcave(c.curve)),
    cause,
  };
}
