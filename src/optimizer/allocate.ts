/**
 * `allocateBudget`: the certified budget allocator. Pure: numbers in, numbers out.
 *
 * 1. prepare: boxes (min/max, max change, locks), groups, feasibility (every reason at once);
 * 2. choose the spend level: the budget (revenue), or where the marginal return pays for itself,
 *    capped by the budget (profit);
 * 3. solve the concave relaxation by equal marginal returns (exact for concave curves), then, for
 *    S-shaped curves, recover a true allocation from it (envelope path);
 * 4. with a ROAS floor that the answer misses, find the largest spend that meets it;
 * 5. optionally anneal from a warm start (the general method, never worse than its start);
 * 6. certify: a Lagrangian dual bound on the best achievable objective, and the gap to it.
 */
import { SpendflowError } from '../errors.ts';
import { curveDerivative } from '../model/curves/registry.ts';
import { anneal } from './annealing.ts';
import { branchAndBound } from './branch-and-bound.ts';
import { searchDualBound } from './certificate.ts';
import { projectOntoBudget } from './bounds.ts';
import { demand } from './channel-shape.ts';
import { dualBound, solveEnvelope, type EnvelopeSolution } from './envelope-solve.ts';
import { prepare, type Prepared } from './prepare.ts';
import type { AllocationProblem, AllocationResult, SolveOptions, SolverPath } from './problem.ts';
import { recoverAllocation, trueValue } from './recover.ts';

const TOL = 1e-9;
/** Largest problem for which S-shaped profit scans its spend level (each step is a full solve). */
const SCAN_LIMIT = 200;

interface Candidate {
  readonly env: EnvelopeSolution;
  readonly x: Float64Array;
  readonly response: number;
  readonly spend: number;
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

/** Σ envelope demand at a price, groups clamped to their bounds: the spend that price buys. */
function demandAt(prep: Prepared, price: number): number {
  let s = 0;
  for (const i of prep.ungrouped) s += demand(prep.shapes[i]!, price, false);
  for (const g of prep.groups) {
    let t = 0;
    for (const i of g.members) t += demand(prep.shapes[i]!, price, false);
    s += Math.min(g.upper, Math.max(g.lower, t));
  }
  return s;
}

function checkInputs(problem: AllocationProblem): void {
  const problems = [];
  if (!(Number.isFinite(problem.budget) && problem.budget >= 0)) problems.push({ field: 'budget', message: 'must be a finite number >= 0' });
  if (problem.objective === 'profit' && !(typeof problem.margin === 'number' && problem.margin > 0 && Number.isFinite(problem.margin))) {
    problems.push({ field: 'margin', message: 'the profit objective needs a margin > 0' });
  }
  if (problem.minRoas != null && !(problem.minRoas >= 0 && Number.isFinite(problem.minRoas))) {
    problems.push({ field: 'minRoas', message: 'must be a finite number >= 0, or null' });
  }
  if (problem.channels.length === 0) problems.push({ field: 'channels', message: 'needs at least one channel' });
  if (problems.length > 0) throw new SpendflowError('INPUT_INVALID', 'invalid problem', { problems });
}

export function allocateBudget(problem: AllocationProblem, options: SolveOptions = {}): AllocationResult {
  checkInputs(problem);
  const prep = prepare(problem, options.relaxMaxChange ?? false);
  const profit = problem.objective === 'profit';
  const w = profit ? problem.margin! : 1;
  const c = profit ? 1 : 0;
  const r = problem.minRoas ?? null;
  const budget = problem.budget;
  const concave = prep.shapes.every((sh) => sh.kind === 'concave');
  let iterations = 0;
  let priceHint = 1;

  const solveAt = (total: number): Candidate => {
    const env = solveEnvelope(prep, total, priceHint);
    iterations += env.iterations;
    if (Number.isFinite(env.price) && env.price > 0) priceHint = env.price;
    let x = env.x;
    if (!concave) {
      const recovered = recoverAllocation(prep, env.x, total, priceHint);
      x = recovered.x;
    }
    return { env, x, response: trueValue(prep, x), spend: sum(x) };
  };

  // The spend level before any ROAS floor.
  const cap = Math.min(budget, prep.maxSpend);
  let total = profit || r !== null ? cap : budget;
  if (profit) total = Math.min(cap, Math.max(prep.minSpend, demandAt(prep, 1 / w)));
  let best = solveAt(total);
  if (profit && !concave && prep.shapes.length <= SCAN_LIMIT) {
    // S-shaped profit: the best spend level need not be where the envelope puts it. Scan the
    // feasible spends, then refine around the best by golden section.
    const value = (cand: Candidate) => w * cand.response - c * cand.spend;
    const at = (t: number) => {
      const cand = solveAt(t);
      const bb = branchAndBound(prep, t, { x: cand.x, value: cand.response }, priceHint);
      const x = bb.x;
      return { ...cand, x, response: trueValue(prep, x), spend: sum(x) };
    };
    let bestT = total;
    best = at(total);
    const lo = prep.minSpend;
    const step = (cap - lo) / 16;
    for (let k = 0; k <= 16 && step > 0; k++) {
      const cand = at(lo + k * step);
      if (value(cand) > value(best)) {
        best = cand;
        bestT = lo + k * step;
      }
    }
    let a = Math.max(lo, bestT - step);
    let b = Math.min(cap, bestT + step);
    for (let k = 0; k < 30 && b - a > 1e-9 * Math.max(1, cap); k++) {
      const m1 = a + (b - a) * 0.382;
      const m2 = a + (b - a) * 0.618;
      const c1 = at(m1);
      const c2 = at(m2);
      if (value(c1) > value(best)) best = c1;
      if (value(c2) > value(best)) best = c2;
      if (value(c1) >= value(c2)) b = m2;
      else a = m1;
    }
    total = best.spend;
  }

  // The ROAS floor: the largest spend whose best allocation still meets it.
  let roasBinding = false;
  if (r !== null) {
    // Met up to rounding (1e-12): a floor met exactly by a forced spend must not read as missed.
    const meets = (cand: Candidate) => cand.response - r * cand.spend >= -1e-12 * Math.max(1, cand.response);
    if (!meets(best)) {
      // Σf − r·Σx over the spend frontier peaks where the marginal return is r (concave case):
      // the spends that meet the floor form an interval around that peak. The objective is best
      // at `total`, so the answer is the end of that interval nearest to it: the top end when
      // `total` lies above the interval (revenue, usually), the bottom end when below (profit
      // with forced low-ROAS spend, say).
      const peakSpend = Math.min(cap, Math.max(prep.minSpend, demandAt(prep, r)));
      const peak = solveAt(peakSpend);
      if (!meets(peak)) {
        const roas = peak.spend > 0 ? peak.response / peak.spend : 0;
        throw new SpendflowError('PROBLEM_INFEASIBLE', `infeasible problem: the ROAS floor ${r} cannot be reached (the best ROAS, at a spend of ${peak.spend}, is ${roas})`, {
          problems: [{ field: 'minRoas', message: `no allocation reaches ROAS ${r}; the best is ${roas}` }],
        });
      }
      let ok = peakSpend;
      let missed = total;
      let good = peak;
      for (let k = 0; k < 60 && Math.abs(missed - ok) > TOL * Math.max(1, Math.abs(missed)); k++) {
        const mid = (ok + missed) / 2;
        const cand = solveAt(mid);
        if (meets(cand)) {
          ok = mid;
          good = cand;
        } else missed = mid;
      }
      best = good;
      roasBinding = true;
    }
  }

  let solver: SolverPath = concave ? 'exact' : 'envelope';
  let x = best.x;
  // S-shaped curves at a fixed total (revenue, no ROAS floor): branch and bound tightens the
  // certificate and may find a better allocation.
  let branchBound = Infinity;
  if (!concave && !profit && r === null) {
    const bb = branchAndBound(prep, total, { x: best.x, value: best.response }, priceHint);
    iterations += bb.nodes;
    x = bb.x;
    branchBound = bb.upperBound;
  }
  if (options.method === 'annealing') {
    x = annealFrom(prep, { ...best, x }, options);
    solver = 'annealing';
    iterations = options.iterations ?? 2000;
  }
  x = snapToBoxes(prep, x);
  const response = trueValue(prep, x);
  const spend = sum(x);
  const objective = w * response - c * spend;

  // Certificate: the smallest of the valid dual bounds at the solution's prices.
  const env = best.env;
  const equality = !profit && r === null;
  const bounds = [
    dualBound(prep, { price: profit ? Math.max(env.price, 1 / w) : env.price, groupPrices: env.groupPrices }, { w, c, budget, equality, nu: 0, r: r ?? 0 }),
  ];
  if (roasBinding && r !== null && env.price < r && w * env.price >= c) {
    const nu = (w * env.price - c) / (r - env.price);
    bounds.push(dualBound(prep, env, { w, c, budget, equality: false, nu, r }));
  }
  // A bound below the objective by more than rounding would be wrong: such candidates are
  // dropped (never used to claim a small gap); rounding-level shortfalls are lifted to the
  // objective.
  const slack = 1e-9 * Math.max(1, Math.abs(objective));
  const tightest = () => {
    const valid = [branchBound, ...bounds].filter((b) => b >= objective - slack);
    return valid.length > 0 ? Math.max(objective, Math.min(...valid)) : Infinity;
  };
  let upperBound = tightest();
  // The search costs dozens of passes over the channels: only when the gap is worth closing.
  if (!(upperBound - objective <= 1e-7 * Math.max(1, Math.abs(upperBound)))) {
    bounds.push(searchDualBound(prep, env, { w, c, budget, equality, r }));
    upperBound = tightest();
  }
  const gap =
    upperBound === Infinity ? 1 : upperBound - objective <= slack ? 0 : Math.max(0, (upperBound - objective) / Math.abs(upperBound));

  const allocation: Record<string, number> = {};
  const marginalRoi: Record<string, number> = {};
  problem.channels.forEach((ch, i) => {
    allocation[ch.id] = x[i]!;
    marginalRoi[ch.id] = curveDerivative(ch.curve, x[i]!);
  });
  return {
    allocation,
    spend,
    response,
    objective,
    upperBound,
    gap,
    marginalRoi,
    budgetPrice: frontierSlope(prep, x, marginalRoi),
    binding: bindingConstraints(prep, x, spend, response, r),
    relaxations: prep.relaxations,
    solver,
    iterations,
  };
}

/** Rounding leaves values a hair off a box end (3e-12 for 0); put them on it, keeping Σx. */
function snapToBoxes(prep: Prepared, x: Float64Array): Float64Array {
  const out = Float64Array.from(x);
  const total = sum(x);
  const eps = 1e-9 * Math.max(1, total / Math.max(1, x.length));
  for (let i = 0; i < out.length; i++) {
    if (Math.abs(out[i]! - prep.lo[i]!) <= eps) out[i] = prep.lo[i]!;
    else if (Math.abs(out[i]! - prep.hi[i]!) <= eps) out[i] = prep.hi[i]!;
  }
  // Whatever snapping moved goes to the channel furthest inside its box, if one can take it.
  const drift = total - sum(out);
  let k = -1;
  let room = 0;
  for (let i = 0; i < out.length; i++) {
    const inside = Math.min(out[i]! - prep.lo[i]!, prep.hi[i]! - out[i]!);
    if (inside > room) {
      room = inside;
      k = i;
    }
  }
  if (k >= 0 && room > Math.abs(drift)) out[k] = out[k]! + drift;
  else return x;
  return out;
}

/**
 * Revenue per extra unit of budget at the answer: the marginal ROI shared by the channels free
 * to move (not at a box end, not in a group); null when none is.
 */
function frontierSlope(prep: Prepared, x: Float64Array, marginalRoi: Readonly<Record<string, number>>): number | null {
  let s = 0;
  let n = 0;
  for (const i of prep.ungrouped) {
    const eps = 1e-9 * Math.max(1, x[i]!);
    if (x[i]! > prep.lo[i]! + eps && x[i]! < prep.hi[i]! - eps) {
      s += marginalRoi[prep.problem.channels[i]!.id]!;
      n++;
    }
  }
  if (n > 0) return s / n;
  // Nothing free to move (everything at a bound, or no spend at all): no price supports it.
  return null;
}

function bindingConstraints(prep: Prepared, x: Float64Array, spend: number, response: number, r: number | null): string[] {
  const { problem } = prep;
  const tol = TOL * Math.max(1, problem.budget);
  const out: string[] = [];
  if (Math.abs(spend - problem.budget) <= tol) out.push('budget');
  problem.channels.forEach((ch, i) => {
    const v = x[i]!;
    if (prep.loKind[i] === 'locked') {
      out.push(`locked:${ch.id}`);
      return;
    }
    if (v - prep.lo[i]! <= tol) out.push(`${prep.loKind[i]}:${ch.id}`);
    if (prep.hi[i]! - v <= tol) out.push(`${prep.hiKind[i]}:${ch.id}`);
  });
  prep.groups.forEach((g) => {
    const t = g.members.reduce((s, i) => s + x[i]!, 0);
    if (g.statedMin > 0 && t - g.statedMin <= tol) out.push(`groupMin:${g.id}`);
    if (Number.isFinite(g.statedMax) && g.statedMax - t <= tol) out.push(`groupMax:${g.id}`);
  });
  if (r !== null && spend > 0 && Math.abs(response - r * spend) <= TOL * Math.max(1, response)) out.push('minRoas');
  return out;
}

/**
 * The general method: simulated annealing from a warm start (the given one, else the channels'
 * current spend, else the solver's answer), made feasible first. Money moves only within a group
 * or among ungrouped channels, so group totals hold; the answer is never worse than the start.
 */
function annealFrom(prep: Prepared, solved: Candidate, options: SolveOptions): Float64Array {
  const { problem } = prep;
  const n = problem.channels.length;
  const wanted = problem.channels.map((ch, i) => options.warmStart?.[ch.id] ?? ch.current ?? solved.x[i]!);
  let start: Float64Array = solved.x;
  if (options.warmStart !== undefined || problem.channels.some((ch) => ch.current !== undefined)) {
    const projected = projectOntoBudget(wanted, prep.lo, prep.hi, solved.spend);
    const groupsHold = prep.groups.every((g) => {
      const t = g.members.reduce((s, i) => s + projected[i]!, 0);
      return t >= g.lower - TOL * Math.max(1, t) && t <= g.upper + TOL * Math.max(1, t);
    });
    const meetsRoas = problem.minRoas == null || trueValue(prep, projected) >= problem.minRoas * solved.spend;
    if (groupsHold && meetsRoas) start = projected;
  }
  const classOf = prep.groups.length > 0 ? Int32Array.from({ length: n }, (_, i) => prep.groupOf[i]!) : undefined;
  const out = anneal({
    curves: problem.channels.map((ch) => ch.curve),
    lo: prep.lo,
    hi: prep.hi,
    start,
    iterations: options.iterations ?? 2000,
    seed: options.seed ?? 1,
    ...(classOf ? { classOf } : {}),
  });
  return out.x;
}
