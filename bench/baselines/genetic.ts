/**
 * Baseline for bench/optimizer.ts: a genetic algorithm over budget splits, of the kind marketing-mix
 * tools use for budget allocation. Not part of spendflow; it exists to be compared against.
 *
 * - An individual is a vector of channel spends, kept inside its box [lo, hi] (genes are clamped
 *   after crossover and mutation) but free to miss the budget.
 * - Fitness = Σ fᵢ(xᵢ) − penalty · |Σ xᵢ − budget| (an absolute-value penalty for the budget).
 * - Each generation: the `elite` best survive unchanged; every other child comes from two parents
 *   picked by tournament selection, blend crossover (BLX-α, per gene) with probability
 *   `crossoverRate` (else a copy of the first parent), then Gaussian mutation of each gene with
 *   probability `mutationRate` and standard deviation σ·(hiᵢ − loᵢ'), σ shrinking linearly to a
 *   tenth of its start over the run (loᵢ'/hiᵢ' is the box, with an infinite cap replaced by 6× the
 *   even share).
 * - The first population is the clamped even split plus individuals drawn around it
 *   (xᵢ = evenᵢ · U(0, 2), clamped).
 * - The answer is the fittest individual of the last generation, projected onto
 *   {lo ≤ x ≤ hi, Σ x = budget} so it is feasible, and valued by Σ fᵢ(xᵢ) at that point.
 */
import { curveDerivative, curveValue } from '../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../src/model/curves/types.ts';
import { projectToBudget } from './project.ts';
import { seededRandom } from '../../src/random.ts';

export interface GeneticInput {
  readonly curves: readonly CurveSpec[];
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Σ lo ≤ budget ≤ Σ hi. */
  readonly budget: number;
}

export interface GeneticSettings {
  readonly population: number;
  readonly generations: number;
  readonly seed: number;
  /** Tournament size (default 3). */
  readonly tournament?: number;
  /** Probability a child comes from crossover rather than a copy (default 0.9). */
  readonly crossoverRate?: number;
  /** BLX-α: a child's gene is uniform on [min − αd, max + αd] of its parents' genes (default 0.5). */
  readonly alpha?: number;
  /** Per-gene mutation probability (default max(1/n, 0.05)). */
  readonly mutationRate?: number;
  /** Mutation standard deviation at the first generation, as a fraction of each box (default 0.1). */
  readonly sigma?: number;
  /** Individuals copied unchanged into the next generation (default 2). */
  readonly elite?: number;
  /** Cost per unit of budget missed (default 2 × the largest marginal return at the even split). */
  readonly penalty?: number;
}

export interface GeneticOutput {
  /** The fittest individual, projected onto the budget and bounds. */
  readonly x: Float64Array;
  /** Σ fᵢ(xᵢ) at `x`. */
  readonly value: number;
  /** Penalised fitness of the fittest individual before projection. */
  readonly fitness: number;
  /** |Σ xᵢ − budget| of the fittest individual before projection. */
  readonly budgetMiss: number;
  /** Curve evaluations spent (population × generations × n, roughly). */
  readonly evaluations: number;
}

export function geneticAllocate(input: GeneticInput, settings: GeneticSettings): GeneticOutput {
  const { curves, lo, hi, budget } = input;
  const n = curves.length;
  const popSize = Math.max(2, Math.floor(settings.population));
  const generations = Math.max(0, Math.floor(settings.generations));
  const tournament = Math.max(1, settings.tournament ?? 3);
  const crossoverRate = settings.crossoverRate ?? 0.9;
  const alpha = settings.alpha ?? 0.5;
  const mutationRate = settings.mutationRate ?? Math.max(1 / Math.max(n, 1), 0.05);
  const sigma0 = settings.sigma ?? 0.1;
  const elite = Math.min(popSize - 1, Math.max(0, settings.elite ?? 2));
  const rng = seededRandom(settings.seed);

  // The clamped even split, and each gene's mutation scale.
  const evenShare = budget / Math.max(n, 1);
  const even = new Float64Array(n);
  const width = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    even[i] = Math.min(hi[i]!, Math.max(lo[i]!, evenShare));
    const top = Number.isFinite(hi[i]!) ? hi[i]! : Math.max(lo[i]!, 6 * evenShare);
    width[i] = Math.max(0, top - lo[i]!);
  }
  let penalty = settings.penalty ?? 0;
  if (settings.penalty === undefined) {
    for (let i = 0; i < n; i++) {
      const d = curveDerivative(curves[i]!, even[i]!);
      if (Number.isFinite(d) && d > penalty) penalty = d;
    }
    penalty = 2 * Math.max(penalty, 1e-9);
  }

  let evaluations = 0;
  const evaluate = (x: Float64Array): number => {
    let value = 0;
    let spend = 0;
    for (let i = 0; i < n; i++) {
      value += curveValue(curves[i]!, x[i]!);
      spend += x[i]!;
    }
    evaluations += n;
    return value - penalty * Math.abs(spend - budget);
  };
  const clamp = (v: number, i: number): number => Math.min(hi[i]!, Math.max(lo[i]!, v));

  // Two generations of storage, swapped each round.
  let pop: Float64Array[] = [];
  let next: Float64Array[] = [];
  let fit = new Float64Array(popSize);
  let nextFit = new Float64Array(popSize);
  for (let p = 0; p < popSize; p++) {
    const x = new Float64Array(n);
    if (p === 0) x.set(even);
    else for (let i = 0; i < n; i++) x[i] = clamp(even[i]! * 2 * rng.next(), i);
    pop.push(x);
    next.push(new Float64Array(n));
    fit[p] = evaluate(x);
  }

  const order = new Int32Array(popSize);
  const select = (): Float64Array => {
    let best = rng.int(popSize);
    for (let t = 1; t < tournament; t++) {
      const c = rng.int(popSize);
      if (fit[c]! > fit[best]!) best = c;
    }
    return pop[best]!;
  };

  for (let g = 0; g < generations; g++) {
    // Elites: the best `elite` individuals, copied.
    for (let p = 0; p < popSize; p++) order[p] = p;
    order.sort((a, b) => fit[b]! - fit[a]!);
    for (let e = 0; e < elite; e++) {
      next[e]!.set(pop[order[e]!]!);
      nextFit[e] = fit[order[e]!]!;
    }
    const sigma = sigma0 * (1 - (0.9 * g) / Math.max(1, generations));
    for (let p = elite; p < popSize; p++) {
      const a = select();
      const child = next[p]!;
      if (rng.next() < crossoverRate) {
        const b = select();
        for (let i = 0; i < n; i++) {
          const u = a[i]!;
          const v = b[i]!;
          const low = u < v ? u : v;
          const d = u < v ? v - u : u - v;
          child[i] = clamp(low - alpha * d + rng.next() * (1 + 2 * alpha) * d, i);
        }
      } else {
        child.set(a);
      }
      for (let i = 0; i < n; i++) {
        if (rng.next() < mutationRate) child[i] = clamp(child[i]! + rng.normal() * sigma * width[i]!, i);
      }
      nextFit[p] = evaluate(child);
    }
    [pop, next] = [next, pop];
    [fit, nextFit] = [nextFit, fit];
  }

  let best = 0;
  for (let p = 1; p < popSize; p++) if (fit[p]! > fit[best]!) best = p;
  const winner = pop[best]!;
  let spend = 0;
  for (let i = 0; i < n; i++) spend += winner[i]!;
  const x = projectToBudget(winner, lo, hi, budget);
  let value = 0;
  for (let i = 0; i < n; i++) value += curveValue(curves[i]!, x[i]!);
  return { x, value, fitness: fit[best]!, budgetMiss: Math.abs(spend - budget), evaluations };
}
