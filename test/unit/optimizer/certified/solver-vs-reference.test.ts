/**
 * `allocateBudget` against the grid reference (reference.ts) on seeded random problems of every
 * kind (random-problems.ts). The reference value is attained by a feasible allocation, so a correct
 * solver is at least as good (up to 1e-4) and its certified upper bound is never below it.
 */
import { describe, expect, it } from 'vitest';
import { SpendflowError, errorMessage } from '../../../../src/errors.ts';
import { curveDerivative } from '../../../../src/model/curves/registry.ts';
import { allocateBudget } from '../../../../src/optimizer/allocate.ts';
import type { AllocationResult } from '../../../../src/optimizer/problem.ts';
import { nanPaths, problemJson, recompute, toJson, unsoundBinding, violations } from './check.ts';
import { feasibleKinds, generateInfeasible, generateProblem, infeasibleCauses, type GeneratedProblem } from './random-problems.ts';
import { referenceSolve, type ReferenceResult } from './reference.ts';

const PER_KIND = 60;
const PER_CAUSE = 10; // 7 causes → 70 deliberately infeasible problems

function describeCase(g: GeneratedProblem, ref: ReferenceResult): string {
  const refText = ref.feasible ? `value ${ref.value} at ${JSON.stringify(ref.allocation)} (spend ${ref.spend})` : 'infeasible';
  return `${g.label}\nproblem: ${problemJson(g.problem)}\ngrid step: ${g.step}\nreference: ${refText}`;
}

/** Everything wrong with a result for a feasible problem (empty when it passes). */
function resultIssues(g: GeneratedProblem, ref: ReferenceResult, res: AllocationResult): string[] {
  const p = g.problem;
  const issues: string[] = [];
  const tol = 1e-6 * p.budget;
  issues.push(...nanPaths(res).map((path) => `NaN at ${path}`));
  issues.push(...violations(p, res.allocation, tol).map((v) => `infeasible allocation: ${v}`));

  const again = recompute(p, res.allocation);
  const profit = (p.objective ?? 'revenue') === 'profit';
  const objScale = profit ? Math.abs(p.margin ?? 0) * Math.abs(again.response) + Math.abs(again.spend) : Math.abs(again.response);
  if (!(Math.abs(res.objective - again.objective) <= 1e-9 * Math.max(objScale, 1e-12))) {
    issues.push(`objective ${res.objective} ≠ recomputed ${again.objective}`);
  }
  if (!(Math.abs(res.response - again.response) <= 1e-9 * Math.max(Math.abs(again.response), 1e-12))) {
    issues.push(`response ${res.response} ≠ recomputed Σf ${again.response}`);
  }
  if (!(Math.abs(res.spend - again.spend) <= 1e-9 * p.budget)) issues.push(`spend ${res.spend} ≠ recomputed Σx ${again.spend}`);

  if (!(res.objective >= ref.value - 1e-4 * Math.abs(ref.value))) {
    issues.push(`objective ${res.objective} below the grid reference ${ref.value} (rel ${(ref.value - res.objective) / Math.abs(ref.value)})`);
  }
  if (!(res.upperBound >= ref.value - 1e-9 * Math.abs(ref.value))) {
    issues.push(`upperBound ${res.upperBound} below the feasible grid value ${ref.value}`);
  }
  // A finite bound always exists (margin·Σ fᵢ(min(hiᵢ, budget)) − Σ loᵢ, say); without one the gap is undefined.
  if (!Number.isFinite(res.upperBound)) issues.push(`upperBound ${res.upperBound} is not finite: no certificate, and (upperBound − objective)/|upperBound| is undefined`);
  else {
    const gap = (res.upperBound - res.objective) / Math.abs(res.upperBound);
    if (!(Math.abs(res.gap - gap) <= 1e-9 + 1e-9 * Math.abs(gap))) issues.push(`gap ${res.gap} ≠ (upperBound − objective)/|upperBound| = ${gap}`);
  }
  if (!(res.gap >= 0 && res.gap <= 1)) issues.push(`gap ${res.gap} outside [0, 1]`);
  if (g.allConcave && !(res.gap <= 1e-6)) issues.push(`concave problem with gap ${res.gap} > 1e-6 (upperBound ${res.upperBound}, objective ${res.objective})`);

  for (const c of p.channels) {
    const x = res.allocation[c.id] ?? NaN;
    const want = curveDerivative(c.curve, x);
    const got = res.marginalRoi[c.id];
    const same = got === want || (got !== undefined && Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), 1e-12));
    if (!same) issues.push(`marginalRoi[${c.id}] = ${String(got)} ≠ f′(${x}) = ${want}`);
  }
  issues.push(...unsoundBinding(p, res, 1e-5 * p.budget));
  if (!['exact', 'envelope', 'annealing'].includes(res.solver)) issues.push(`unknown solver path ${String(res.solver)}`);
  if (!(Number.isInteger(res.iterations) && res.iterations >= 0)) issues.push(`iterations ${res.iterations} is not a non-negative integer`);
  if (res.relaxations.length !== 0) issues.push(`relaxations without relaxMaxChange: ${JSON.stringify(res.relaxations)}`);
  return issues;
}

type Outcome = { ok: true; result: AllocationResult } | { ok: false; error: unknown };

function solve(g: GeneratedProblem): Outcome {
  try {
    return { ok: true, result: allocateBudget(g.problem) };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectInfeasibleError(outcome: Outcome, context: string): void {
  if (outcome.ok) {
    const r = outcome.result;
    expect.fail(`solver returned a result for an infeasible problem (objective ${r.objective}, allocation ${JSON.stringify(r.allocation)})\n${context}`);
  }
  const err = outcome.error;
  expect(err, `${errorMessage(err)}\n${context}`).toBeInstanceOf(SpendflowError);
  expect((err as SpendflowError).code, context).toBe('PROBLEM_INFEASIBLE');
}

function runCase(g: GeneratedProblem): void {
  const ref = referenceSolve(g.problem, g.step);
  const context = describeCase(g, ref);
  // The generator keeps every bound on the grid, so the reference is exact on the corners.
  expect(ref.aligned, context).toBe(true);
  const outcome = solve(g);
  if (!ref.feasible) {
    // Only problems without a ROAS floor reach here at random, where the grid verdict is exact.
    expect(g.problem.minRoas ?? null, context).toBeNull();
    expectInfeasibleError(outcome, context);
    return;
  }
  if (!outcome.ok) {
    const e = outcome.error;
    const code = e instanceof SpendflowError ? e.code : 'not a SpendflowError';
    expect.fail(`solver threw on a feasible problem (${code}: ${errorMessage(e)})\n${context}`);
  }
  const issues = resultIssues(g, ref, outcome.result);
  expect(issues, `${issues.join('\n')}\n${context}\nsolver: ${toJson(outcome.result)}`).toEqual([]);
}

for (const kind of feasibleKinds) {
  describe(`allocateBudget vs the grid reference: ${kind}`, () => {
    const cases = Array.from({ length: PER_KIND }, (_, i) => generateProblem(kind, i));
    it.each(cases.map((g) => [g.label, g] as const))('%s', (_label, g) => runCase(g));
  });
}

describe('allocateBudget on deliberately infeasible problems', () => {
  const cases = infeasibleCauses.flatMap((cause) => Array.from({ length: PER_CAUSE }, (_, i) => generateInfeasible(cause, i)));
  it.each(cases.map((g) => [g.label, g] as const))('%s throws PROBLEM_INFEASIBLE', (_label, g) => {
    const ref = referenceSolve(g.problem, g.step);
    const context = describeCase(g, ref);
    expect(ref.feasible, `the reference must agree the problem is infeasible\n${context}`).toBe(false);
    expectInfeasibleError(solve(g), context);
  });
});
