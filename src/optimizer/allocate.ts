/**
 * `allocateBudget`: the reoptimizer's entry point. Today: simulated annealing warm-started from
 * the current allocation (projected onto the feasible set), finished by a pairwise polish. The
 * certified exact solver of a later issue slots in here behind the same signature.
 */
import { curveDerivative, curveValue } from '../model/curves/registry.ts';
import { anneal } from './annealing.ts';
import { effectiveBounds, projectOntoBudget } from './bounds.ts';
import type { AllocationProblem, AllocationResult, SolveOptions } from './problem.ts';

const TOLERANCE = 1e-6;

export function allocateBudget(problem: AllocationProblem, options: SolveOptions): AllocationResult {
  const bounds = effectiveBounds(problem);
  const { lo, hi, budget } = bounds;
  const n = problem.channels.length;
  // Warm start: the current allocation where known, an even split otherwise, made feasible.
  const even = budget / Math.max(n, 1);
  const start = projectOntoBudget(
    problem.channels.map((c) => c.current ?? even),
    lo,
    hi,
    budget,
  );
  const curves = problem.channels.map((c) => c.curve);
  const result = anneal({ curves, lo, hi, start, iterations: options.iterations, seed: options.seed });

  const allocation: Record<string, number> = {};
  const marginalRoi: Record<string, number> = {};
  const binding: string[] = [];
  let spend = 0;
  let response = 0;
  problem.channels.forEach((c, i) => {
    const x = result.x[i]!;
    allocation[c.id] = x;
    marginalRoi[c.id] = curveDerivative(c.curve, x);
    spend += x;
    response += curveValue(c.curve, x);
    const tol = TOLERANCE * Math.max(1, budget);
    if (x - lo[i]! <= tol) binding.push(`${bounds.loKind[i]}:${c.id}`);
    if (hi[i]! - x <= tol) binding.push(`${bounds.hiKind[i]}:${c.id}`);
  });
  // The budget binds when all of it is spent; under caps that allow less, it does not.
  if (Math.abs(spend - problem.budget) <= TOLERANCE * Math.max(1, problem.budget)) binding.unshift('budget');
  return {
    allocation,
    spend,
    response,
    objective: response,
    marginalRoi,
    binding,
    relaxations: bounds.relaxations,
    solver: 'annealing',
    iterations: options.iterations,
  };
}
