/**
 * Optimizer benchmark: spendflow's `allocateBudget` on seeded random problems of 10 to 10,000
 * channels, next to three baselines measured in the same run on the same problems: cold-start
 * simulated annealing, a genetic algorithm (bench/baselines/genetic.ts) and the equal split.
 *
 *   npx tsx bench/optimizer.ts           full run (~2–3 minutes on 2 cores)
 *   npx tsx bench/optimizer.ts --quick   smoke run: fewer problems and repetitions
 *   node --expose-gc --import tsx bench/optimizer.ts   also collects garbage before each timed phase
 *
 * `runOptimizerBench()` returns the markdown this prints (progress goes to stderr only when run
 * directly). Nothing is asserted: the targets get a ✓/✗ column, they do not fail the run.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { curveValue } from '../src/model/curves/registry.ts';
import type { CurveSpec } from '../src/model/curves/types.ts';
import { allocateBudget } from '../src/optimizer/allocate.ts';
import { anneal } from '../src/optimizer/annealing.ts';
import type { AllocationProblem, AllocationResult } from '../src/optimizer/problem.ts';
import { hashSeed, seededRandom, type Random } from '../src/random.ts';
import { lagrangianBound } from './baselines/dual-bound.ts';
import { equalSplit } from './baselines/equal-split.ts';
import { gridDp } from './baselines/grid-dp.ts';
import { geneticAllocate } from './baselines/genetic.ts';

// ---------------------------------------------------------------------------------------------
// Problems
// ---------------------------------------------------------------------------------------------

export type Mix = 'concave' | 'S-shaped';

/** The k of a typical channel; the budget is n × this, so the average channel sits near its k. */
const TYPICAL_K = 1000;

interface BenchProblem {
  readonly problem: AllocationProblem;
  readonly curves: readonly CurveSpec[];
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  readonly budget: number;
}

function logUniform(rng: Random, a: number, b: number): number {
  return a * Math.pow(b / a, rng.next());
}

function uniform(rng: Random, a: number, b: number): number {
  return a + (b - a) * rng.next();
}

function concaveCurve(rng: Random, kind: number, k: number, beta: number): CurveSpec {
  if (kind === 0) return { type: 'exp', beta, k };
  if (kind === 1) return { type: 'log', beta, k };
  return { type: 'hill', beta, k, s: uniform(rng, 0.5, 1) };
}

/**
 * A seeded random revenue problem. Per channel: k log-uniform in [250, 4000] (typical 1000), a
 * return scale β = k × U(1, 6) (× 2 for S-shaped hills, whose early spend returns little),
 * min 0, max = even share × U(3, 6). Budget = n × 1000. Concave mix: exp, log and hill with
 * s ∈ [0.5, 1] in equal parts. S-shaped mix: half hill with s ∈ [1.5, 3], the rest concave as
 * above. Channel order is shuffled.
 */
export function generateProblem(n: number, mix: Mix, index: number): BenchProblem {
  const rng = seededRandom(hashSeed(n, `${mix}:${index}`));
  const budget = n * TYPICAL_K;
  const share = budget / n;
  const curves: CurveSpec[] = [];
  for (let i = 0; i < n; i++) {
    const k = logUniform(rng, TYPICAL_K / 4, TYPICAL_K * 4);
    const roi = uniform(rng, 1, 6);
    if (mix === 'S-shaped' && i < Math.floor(n / 2)) {
      curves.push({ type: 'hill', beta: 2 * roi * k, k, s: uniform(rng, 1.5, 3) });
    } else {
      curves.push(concaveCurve(rng, i % 3, k, roi * k));
    }
  }
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [curves[i], curves[j]] = [curves[j]!, curves[i]!];
  }
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const channels = curves.map((curve, i) => {
    hi[i] = share * uniform(rng, 3, 6);
    return { id: `c${i}`, curve, min: 0, max: hi[i]! };
  });
  return { problem: { budget, objective: 'revenue', channels }, curves, lo, hi, budget };
}

// ---------------------------------------------------------------------------------------------
// Plan: problem counts, repetitions, baseline settings
// ---------------------------------------------------------------------------------------------

interface Plan {
  readonly n: number;
  /** Problems per mix (spendflow is timed on all of them). */
  readonly problems: number;
  /** Timed spendflow solves: at least this many… */
  readonly minSamples: number;
  /** …then more rounds over the problems while under this wall time, up to `maxSamples`. */
  readonly timeBudgetMs: number;
  /** Stop after this wall time even short of `minSamples` (a slow solver must not stall the run). */
  readonly hardLimitMs: number;
  readonly maxSamples: number;
  /** Baselines run once on each of the first this many problems. */
  readonly baselineProblems: number;
  readonly annealIterations: number;
  readonly gaPopulation: number;
  readonly gaGenerations: number;
}

/**
 * Annealing moves per channel. Not capped: at n = 10,000 the 2,000,000 moves take ~1.5 s and the
 * pairwise polish inside `anneal` (O(n) per round, up to 2,000 rounds) ~4 s of each run.
 */
const ANNEAL_PER_CHANNEL = 200;
/** GA: population and generations; the generations are capped so population × generations × n ≤ GA_CAP. */
const GA_POPULATION = 50;
const GA_GENERATIONS = 200;
const GA_CAP = 20_000_000;

function plan(n: number, quick: boolean): Plan {
  const annealIterations = ANNEAL_PER_CHANNEL * n;
  const gaGenerations = Math.min(GA_GENERATIONS, Math.floor(GA_CAP / (GA_POPULATION * n)));
  const base = { n, annealIterations, gaPopulation: GA_POPULATION, gaGenerations, hardLimitMs: quick ? 5000 : 20_000 };
  if (quick) {
    if (n <= 10) return { ...base, problems: 5, minSamples: 100, maxSamples: 100, timeBudgetMs: 0, baselineProblems: 3 };
    if (n <= 100) return { ...base, problems: 5, minSamples: 50, maxSamples: 50, timeBudgetMs: 0, baselineProblems: 2 };
    if (n <= 1000) return { ...base, problems: 3, minSamples: 9, maxSamples: 9, timeBudgetMs: 0, baselineProblems: 1 };
    return { ...base, problems: 2, minSamples: 2, maxSamples: 2, timeBudgetMs: 0, baselineProblems: 1 };
  }
  if (n <= 10) return { ...base, problems: 20, minSamples: 2000, maxSamples: 10_000, timeBudgetMs: 1500, baselineProblems: 20 };
  if (n <= 100) return { ...base, problems: 20, minSamples: 1000, maxSamples: 5000, timeBudgetMs: 2000, baselineProblems: 10 };
  if (n <= 1000) return { ...base, problems: 10, minSamples: 100, maxSamples: 1000, timeBudgetMs: 3000, baselineProblems: 5 };
  return { ...base, problems: 5, minSamples: 10, maxSamples: 50, timeBudgetMs: 5000, baselineProblems: 2 };
}

// ---------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  // Nearest rank: the smallest sample with at least q of the samples at or below it.
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function solve(p: BenchProblem): AllocationResult {
  return allocateBudget(p.problem);
}

function solveOrExplain(p: BenchProblem, what: string): AllocationResult {
  try {
    return solve(p);
  } catch (error) {
    throw new Error(`allocateBudget failed on ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** What is wrong with a result, if anything: infeasible, or objective/gap not what it claims. */
function checkResult(p: BenchProblem, r: AllocationResult): string[] {
  const issues: string[] = [];
  const n = p.curves.length;
  const tol = 1e-7 * p.budget;
  let spend = 0;
  let value = 0;
  let outOfBounds = 0;
  for (let i = 0; i < n; i++) {
    const x = r.allocation[`c${i}`];
    if (x === undefined || !Number.isFinite(x)) {
      issues.push(`no finite spend for c${i}`);
      return issues;
    }
    if (x < p.lo[i]! - tol / n || x > p.hi[i]! + tol / n) outOfBounds++;
    spend += x;
    value += curveValue(p.curves[i]!, x);
  }
  if (outOfBounds > 0) issues.push(`${outOfBounds} channel(s) outside their bounds`);
  if (Math.abs(spend - p.budget) > tol) issues.push(`spend ${spend} ≠ budget ${p.budget}`);
  if (Math.abs(value - r.objective) > 1e-9 * Math.max(1, Math.abs(value))) issues.push(`objective ${r.objective} ≠ Σf(x) ${value}`);
  if (!(r.upperBound >= r.objective - 1e-9 * Math.abs(r.objective))) issues.push(`upperBound ${r.upperBound} < objective ${r.objective}`);
  const gap = (r.upperBound - r.objective) / Math.abs(r.upperBound);
  if (!(Math.abs(gap - r.gap) <= 1e-9 + 1e-6 * Math.abs(gap))) issues.push(`gap ${r.gap} ≠ (upperBound − objective)/upperBound ${gap}`);
  return issues;
}

interface SpendflowCell {
  readonly times: number[];
  readonly gaps: number[];
  readonly upperBounds: number[];
  readonly objectives: number[];
  readonly solvers: Map<string, number>;
  readonly issues: string[];
  /** (independent Lagrangian bound − objective) / bound, on the first `baselineProblems` problems. */
  readonly independentGaps: number[];
  /** Problems where spendflow's upperBound is below the Lagrangian bound (branch and bound, say). */
  readonly tighterThanLagrangian: number;
  /** Problems checked against the grid DP (small n only). */
  readonly dpChecked: number;
}

/** Grid DP cross-check: for n ≤ this, on up to DP_PROBLEMS problems, with DP_STEPS grid steps. */
const DP_MAX_N = 10;
const DP_PROBLEMS = 5;
const DP_STEPS = 5000;

function measureSpendflow(problems: readonly BenchProblem[], pl: Plan, mix: Mix): SpendflowCell {
  // First solve of each problem: the answer whose gap is reported, and JIT warm-up.
  const gaps: number[] = [];
  const upperBounds: number[] = [];
  const objectives: number[] = [];
  const solvers = new Map<string, number>();
  const issues: string[] = [];
  problems.forEach((p, k) => {
    const r = solveOrExplain(p, `n = ${pl.n}, ${mix}, problem ${k}`);
    gaps.push(r.gap);
    upperBounds.push(r.upperBound);
    objectives.push(r.objective);
    solvers.set(r.solver, (solvers.get(r.solver) ?? 0) + 1);
    for (const issue of checkResult(p, r)) issues.push(`problem ${k}: ${issue}`);
  });
  // The certificate checked from outside, on the problems the baselines also run on.
  const independentGaps: number[] = [];
  let tighterThanLagrangian = 0;
  for (let k = 0; k < Math.min(pl.baselineProblems, problems.length); k++) {
    const p = problems[k]!;
    const { bound } = lagrangianBound(p.curves, p.lo, p.hi, p.budget);
    independentGaps.push((bound - objectives[k]!) / Math.abs(bound));
    const tol = 1e-9 * Math.abs(bound);
    if (objectives[k]! > bound + tol) issues.push(`problem ${k}: objective ${objectives[k]} above the independent Lagrangian bound ${bound}`);
    if (upperBounds[k]! < bound - tol) tighterThanLagrangian++;
  }
  // Small problems: look for a feasible allocation above the certified bound with a grid DP.
  let dpChecked = 0;
  if (pl.n <= DP_MAX_N) {
    for (let k = 0; k < Math.min(DP_PROBLEMS, pl.baselineProblems, problems.length); k++) {
      const p = problems[k]!;
      const dp = gridDp(p.curves, p.lo, p.hi, p.budget, DP_STEPS);
      dpChecked++;
      if (dp.value > upperBounds[k]! + 1e-9 * Math.abs(upperBounds[k]!)) {
        issues.push(`problem ${k}: a grid DP + polish found ${dp.value}, above upperBound ${upperBounds[k]}: the bound is not valid`);
      }
    }
  }
  // More warm-up: up to ~200 ms or 200 solves, untimed.
  const warmStart = performance.now();
  for (let w = 0; w < 200 && performance.now() - warmStart < 200; w++) solve(problems[w % problems.length]!);

  // With --expose-gc, start the timed solves without the previous cell's garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < pl.maxSamples) {
    for (const p of problems) {
      const t0 = performance.now();
      const r = solve(p);
      const t1 = performance.now();
      if (r.objective !== r.objective) throw new Error('NaN objective'); // keeps the result live
      times.push(t1 - t0);
    }
    const elapsed = performance.now() - start;
    if ((times.length >= pl.minSamples && elapsed >= pl.timeBudgetMs) || elapsed >= pl.hardLimitMs) break;
  }
  return { times, gaps, upperBounds, objectives, solvers, issues, independentGaps, tighterThanLagrangian, dpChecked };
}

interface BaselineCell {
  readonly method: string;
  readonly settings: string;
  readonly times: number[];
  readonly gaps: number[];
  /** (spendflow objective − baseline objective) / spendflow objective, per problem. */
  readonly shortfalls: number[];
}

/** Whether a baseline's answer is feasible (it should always be: this guards the bench itself). */
function assertFeasible(p: BenchProblem, x: Float64Array, method: string): void {
  const tol = 1e-7 * p.budget;
  let spend = 0;
  for (let i = 0; i < x.length; i++) {
    if (!(x[i]! >= p.lo[i]! - tol && x[i]! <= p.hi[i]! + tol)) throw new Error(`${method}: channel ${i} outside its bounds`);
    spend += x[i]!;
  }
  if (!(Math.abs(spend - p.budget) <= tol)) throw new Error(`${method}: spend ${spend} ≠ budget ${p.budget}`);
}

function gapAgainst(upperBound: number, value: number): number {
  return (upperBound - value) / Math.abs(upperBound);
}

function measureBaselines(problems: readonly BenchProblem[], sf: SpendflowCell, pl: Plan): BaselineCell[] {
  const count = Math.min(pl.baselineProblems, problems.length);
  const sa: BaselineCell = {
    method: 'simulated annealing, cold start',
    settings: `${pl.annealIterations.toLocaleString('en-US')} moves (${ANNEAL_PER_CHANNEL}·n) + pairwise polish`,
    times: [],
    gaps: [],
    shortfalls: [],
  };
  const capped = pl.gaGenerations < GA_GENERATIONS;
  const ga: BaselineCell = {
    method: 'genetic algorithm',
    settings: `population ${pl.gaPopulation} × ${pl.gaGenerations} generations${capped ? ` (capped from ${GA_GENERATIONS}: pop × gen × n ≤ ${GA_CAP.toExponential(0)})` : ''}`,
    times: [],
    gaps: [],
    shortfalls: [],
  };
  const eq: BaselineCell = { method: 'equal split', settings: 'budget/n, clamped, projected', times: [], gaps: [], shortfalls: [] };
  for (let k = 0; k < count; k++) {
    const p = problems[k]!;
    const ub = sf.upperBounds[k]!;
    const sfObjective = sf.objectives[k]!;
    const shortfall = (value: number) => (sfObjective - value) / Math.abs(sfObjective);

    // Equal split: too quick to time once, so time a batch.
    const batch = Math.max(1, Math.ceil(20_000 / p.curves.length));
    let even = equalSplit(p.curves, p.lo, p.hi, p.budget);
    const t0 = performance.now();
    for (let b = 0; b < batch; b++) even = equalSplit(p.curves, p.lo, p.hi, p.budget);
    eq.times.push((performance.now() - t0) / batch);
    assertFeasible(p, even.x, eq.method);
    eq.gaps.push(gapAgainst(ub, even.value));
    eq.shortfalls.push(shortfall(even.value));

    // Annealing from the clamped even split (the same feasible start).
    const t1 = performance.now();
    const out = anneal({ curves: p.curves, lo: p.lo, hi: p.hi, start: even.x, iterations: pl.annealIterations, seed: 1000 + k });
    sa.times.push(performance.now() - t1);
    assertFeasible(p, out.x, sa.method);
    sa.gaps.push(gapAgainst(ub, out.value));
    sa.shortfalls.push(shortfall(out.value));

    const t2 = performance.now();
    const g = geneticAllocate(
      { curves: p.curves, lo: p.lo, hi: p.hi, budget: p.budget },
      { population: pl.gaPopulation, generations: pl.gaGenerations, seed: 2000 + k },
    );
    ga.times.push(performance.now() - t2);
    assertFeasible(p, g.x, ga.method);
    ga.gaps.push(gapAgainst(ub, g.value));
    ga.shortfalls.push(shortfall(g.value));
  }
  return [sa, ga, eq];
}

/** Runs every method once on small problems so the first timed cell is not paying for the JIT. */
function warmUp(): void {
  for (const mix of ['concave', 'S-shaped'] as const) {
    for (let k = 0; k < 3; k++) {
      const p = generateProblem(20, mix, 1000 + k);
      for (let r = 0; r < 50; r++) solve(p);
      const even = equalSplit(p.curves, p.lo, p.hi, p.budget);
      anneal({ curves: p.curves, lo: p.lo, hi: p.hi, start: even.x, iterations: 2000, seed: k });
      geneticAllocate({ curves: p.curves, lo: p.lo, hi: p.hi, budget: p.budget }, { population: 20, generations: 20, seed: k });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

interface TargetCheck {
  readonly text: string;
  readonly failures: string[];
}

function target(n: number, mix: Mix, medianMs: number, p99Ms: number, maxGap: number, maxIndependentGap: number): TargetCheck {
  const failures: string[] = [];
  if (n <= 100) {
    if (!(p99Ms <= 1)) failures.push('p99');
    return { text: 'p99 ≤ 1 ms', failures };
  }
  if (n === 1000 && mix === 'concave') {
    if (!(medianMs <= 1)) failures.push('time');
    if (!(maxGap <= 1e-9)) failures.push('gap');
    // Concave: the Lagrangian bound is the optimum, so the independent check must agree.
    if (!(maxIndependentGap <= 1e-9)) failures.push('independent gap');
    return { text: 'median ≤ 1 ms, gap ≤ 1e-9', failures };
  }
  if (n === 1000) {
    if (!(medianMs <= 10)) failures.push('time');
    if (!(maxGap <= 1e-4)) failures.push('gap');
    return { text: 'median ≤ 10 ms, gap ≤ 1e-4 (0.01%)', failures };
  }
  if (!(medianMs <= 100)) failures.push('time');
  return { text: 'median ≤ 100 ms', failures };
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return ms.toFixed(3);
  if (ms < 100) return ms.toFixed(2);
  return ms.toFixed(0);
}

function fmtGap(g: number): string {
  if (!Number.isFinite(g)) return String(g);
  if (g === 0) return '0';
  return g.toExponential(1);
}

function fmtRatio(r: number): string {
  if (Number.isNaN(r)) return '—';
  if (r < 0) return `−${fmtRatio(-r)}`;
  if (!Number.isFinite(r)) return '∞';
  if (r === 0) return '0×';
  if (r >= 1000 || r < 0.01) return `${r.toExponential(1)}×`;
  if (r >= 10) return `${r.toFixed(0)}×`;
  if (r >= 1) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}

function fmtPercent(f: number): string {
  if (!Number.isFinite(f)) return String(f);
  const pct = f * 100;
  if (Math.abs(pct) < 1e-6) return '0%';
  if (Math.abs(pct) < 0.01) return `${pct.toExponential(1)}%`;
  return `${pct.toFixed(2)}%`;
}

/** Spendflow gaps below this count as zero when dividing by them. */
const GAP_FLOOR = 1e-15;

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------

export const SIZES = [10, 100, 1000, 10_000] as const;
export const MIXES: readonly Mix[] = ['concave', 'S-shaped'];

async function run(quick: boolean, progress: (line: string) => void): Promise<string> {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0] ?? NaN;
  warmUp();
  const sfRows: string[] = [];
  const blRows: string[] = [];
  const notes: string[] = [];
  let met = 0;
  let total = 0;
  for (const n of SIZES) {
    const pl = plan(n, quick);
    for (const mix of MIXES) {
      const cellStart = performance.now();
      const problems = Array.from({ length: pl.problems }, (_, k) => generateProblem(n, mix, k));
      const sf = measureSpendflow(problems, pl, mix);
      const sfMedian = median(sf.times);
      const sfP99 = quantile(sf.times, 0.99);
      const sfGapMedian = median(sf.gaps);
      const sfGapMax = Math.max(...sf.gaps);
      const independentMax = Math.max(...sf.independentGaps);
      const t = target(n, mix, sfMedian, sfP99, sfGapMax, independentMax);
      total++;
      if (t.failures.length === 0) met++;
      const solvers = [...sf.solvers].map(([s, c]) => (sf.solvers.size > 1 ? `${s} ×${c}` : s)).join(', ');
      const mark = t.failures.length === 0 ? '✓' : `✗ (${t.failures.join(', ')})`;
      sfRows.push(
        `| ${n.toLocaleString('en-US')} | ${mix} | ${pl.problems} × ${sf.times.length / pl.problems} = ${sf.times.length} | ${fmtMs(sfMedian)} | ${fmtMs(sfP99)} | ${fmtGap(sfGapMedian)} | ${fmtGap(sfGapMax)} | ${fmtGap(independentMax)} (${sf.independentGaps.length}) | ${solvers} | ${t.text} | ${mark} |`,
      );
      if (sf.tighterThanLagrangian > 0) {
        notes.push(`n = ${n}, ${mix}: spendflow's upperBound is below the best Lagrangian bound on ${sf.tighterThanLagrangian} of ${sf.independentGaps.length} problem(s) (a stronger certificate than the dual alone, valid only if nothing feasible beats it: the baselines and, for n ≤ ${DP_MAX_N}, a grid DP look for such points).`);
      }
      if (sf.dpChecked > 0 && sf.issues.every((i) => !i.includes('grid DP'))) {
        notes.push(`n = ${n}, ${mix}: a grid DP (${DP_STEPS} steps) + pairwise polish found nothing above spendflow's upperBound on ${sf.dpChecked} problem(s).`);
      }
      for (const issue of sf.issues.slice(0, 5)) notes.push(`⚠ spendflow, n = ${n}, ${mix}, ${issue}`);
      if (sf.issues.length > 5) notes.push(`⚠ spendflow, n = ${n}, ${mix}: ${sf.issues.length - 5} more issue(s)`);

      const baselines = measureBaselines(problems, sf, pl);
      const sfGapForRatio = Math.max(sfGapMedian, 0);
      for (const b of baselines) {
        const bMedian = median(b.times);
        const bGap = median(b.gaps);
        const bGapMax = Math.max(...b.gaps);
        const gapRatio = sfGapForRatio <= GAP_FLOOR ? (bGap <= GAP_FLOOR ? NaN : Infinity) : bGap / sfGapForRatio;
        blRows.push(
          `| ${n.toLocaleString('en-US')} | ${mix} | ${b.method} | ${b.settings} | ${b.times.length} | ${fmtMs(bMedian)} | ${fmtRatio(bMedian / sfMedian)} | ${fmtGap(bGap)} | ${fmtGap(bGapMax)} | ${fmtRatio(gapRatio)} | ${fmtPercent(median(b.shortfalls))} |`,
        );
        const above = b.gaps.filter((g) => g < -1e-12).length;
        if (above > 0) {
          notes.push(`⚠ n = ${n}, ${mix}: ${b.method} beat spendflow's upperBound on ${above} problem(s) (min gap ${fmtGap(Math.min(...b.gaps))}): the bound is not valid there.`);
        }
      }
      progress(`n=${n} ${mix}: ${((performance.now() - cellStart) / 1000).toFixed(1)} s`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const cpus = os.cpus();
  const lines = [
    `## Optimizer benchmark${quick ? ' (quick)' : ''}`,
    '',
    `Node ${process.version} · ${new Date().toISOString()} · os.cpus().length = ${cpus.length} (${cpus[0]?.model.trim() ?? 'unknown CPU'}) · load average ${loadAtStart.toFixed(2)} at start · ${seconds.toFixed(0)} s in all`,
    '',
    `### spendflow \`allocateBudget\` — targets met: ${met}/${total}`,
    '',
    'Times in ms per solve (default options, after warm-up), over every timed solve of every problem; gap = the certified `result.gap` of each problem, median and max over the problems. *Independent* = max of (bound − objective)/bound with a Lagrangian dual bound computed by the bench itself (bench/baselines/dual-bound.ts), on the problems the baselines run on (how many in parentheses): the certificate checked from outside. For concave curves that bound is the optimum; for S-shaped ones it can sit above it (a duality gap), so spendflow may certify a tighter one.' +
      (quick ? ' Quick mode: few solves, so medians and especially p99 are indicative only.' : ''),
    '',
    '| n | mix | problems × solves | median ms | p99 ms | gap median | gap max | independent | solver | target | ✓/✗ |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|',
    ...sfRows,
    '',
    '### Baselines (same run, same problems)',
    '',
    "Gap = (spendflow's upperBound − baseline objective) / upperBound, per problem. *vs spendflow* = the baseline's median ÷ spendflow's median, for time and for gap (∞: spendflow's median gap is 0 to rounding, the baseline's is not; — : both 0). *Revenue below spendflow* = median over problems of (spendflow objective − baseline objective) / spendflow objective.",
    '',
    '| n | mix | method | settings | runs | median ms | time vs spendflow | gap median | gap max | gap vs spendflow | revenue below spendflow |',
    '|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...blRows,
    '',
    'Problems: revenue objective, budget = n × 1000, per channel min 0 and max = (budget/n) × U(3, 6), k log-uniform in [250, 4000], β = k × U(1, 6) (× 2 for S-shaped hills). Concave mix: exp, log and hill with s ∈ [0.5, 1] in equal parts; S-shaped mix: half hill with s ∈ [1.5, 3], the rest concave as above. Seeded: the same problems every run.',
    `Baselines: annealing is \`anneal\` from src/optimizer/annealing.ts started from the clamped even split (the equal-split baseline's answer), ${ANNEAL_PER_CHANNEL}·n moves, not capped, then its own pairwise polish; at n = 10,000 the polish takes most of its time. The genetic algorithm (bench/baselines/genetic.ts): population ${GA_POPULATION}, ${GA_GENERATIONS} generations capped so population × generations × n ≤ ${GA_CAP.toExponential(0)} curve evaluations, tournament selection (size 3), BLX-0.5 blend crossover (rate 0.9), Gaussian mutation (per-gene rate max(1/n, 0.05), σ = 10% of the box shrinking to 1%), 2 elites, fitness = Σf − 2·max f′(even split)·|Σx − budget|; its fittest individual is projected onto the budget and bounds and valued there. Equal split: budget/n clamped to the bounds and projected onto the budget.`,
  ];
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n') + '\n';
}

export async function runOptimizerBench(options?: { quick?: boolean }): Promise<string> {
  return run(options?.quick ?? false, () => {});
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const quick = process.argv.includes('--quick');
  const markdown = await run(quick, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(markdown);
}
