/**
 * An independent upper bound for bench/optimizer.ts, to check spendflow's certificate from outside:
 * the Lagrangian dual of  max Σ fᵢ(xᵢ)  s.t.  Σ xᵢ = budget, loᵢ ≤ xᵢ ≤ hiᵢ,
 *
 *   g(λ) = λ·budget + Σᵢ max_{loᵢ ≤ x ≤ hiᵢ} (fᵢ(x) − λ·x)  ≥  the optimum, for every λ,
 *
 * minimised over λ by bisection on its subgradient budget − Σ xᵢ(λ). For concave curves the
 * minimum equals the optimum (strong duality); for S-shaped ones it may exceed it. Written for
 * the curve families as documented in src/model/curves/types.ts (exp, log, hill); uses only
 * `curveValue`/`curveDerivative` from spendflow, the rest (inverses, inflection) is its own.
 */
import { curveDerivative, curveValue } from '../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../src/model/curves/types.ts';

/** Where f′ stops increasing: 0 for concave curves, k·((s − 1)/(s + 1))^(1/s) for a hill with s > 1. */
function inflection(curve: CurveSpec): number {
  if (curve.type === 'hill' && curve.s > 1) return curve.k * Math.pow((curve.s - 1) / (curve.s + 1), 1 / curve.s);
  return 0;
}

/** The x in [a, b] with f′(x) = λ, f′ decreasing on [a, b], f′(a) > λ > f′(b). */
function solveDecreasing(curve: CurveSpec, lambda: number, a: number, b: number): number {
  if (curve.type === 'exp') return Math.min(b, Math.max(a, curve.k * Math.log(curve.beta / (curve.k * lambda))));
  if (curve.type === 'log') return Math.min(b, Math.max(a, curve.beta / lambda - curve.k));
  if (curve.type === 'hill' && curve.s === 1) return Math.min(b, Math.max(a, Math.sqrt((curve.beta * curve.k) / lambda) - curve.k));
  let lo = a;
  let hi = b;
  for (let it = 0; it < 200 && hi - lo > 1e-13 * (1 + hi); it++) {
    const mid = (lo + hi) / 2;
    if (curveDerivative(curve, mid) > lambda) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** argmax and max of f(x) − λx over [lo, hi]. */
function inner(curve: CurveSpec, lambda: number, lo: number, hi: number): { x: number; value: number } {
  const at = (x: number) => ({ x, value: curveValue(curve, x) - lambda * x });
  let best = at(lo);
  const hiCand = at(hi);
  if (hiCand.value > best.value) best = hiCand;
  // The only interior local maximum is where f′ = λ on the decreasing branch of f′.
  const a = Math.max(lo, inflection(curve));
  if (a < hi && curveDerivative(curve, a) > lambda && curveDerivative(curve, hi) < lambda) {
    const c = at(solveDecreasing(curve, lambda, a, hi));
    if (c.value > best.value) best = c;
  }
  return best;
}

export interface DualBound {
  /** min over the λ tried of g(λ): no feasible allocation does better. */
  readonly bound: number;
  readonly lambda: number;
}

export function lagrangianBound(curves: readonly CurveSpec[], lo: Float64Array, hi: Float64Array, budget: number): DualBound {
  const n = curves.length;
  const evaluate = (lambda: number) => {
    let g = lambda * budget;
    let spend = 0;
    for (let i = 0; i < n; i++) {
      const r = inner(curves[i]!, lambda, lo[i]!, hi[i]!);
      g += r.value;
      spend += r.x;
    }
    return { g, spend };
  };
  // λ = 0 spends everything (Σ hi ≥ budget); a λ above every slope spends Σ lo ≤ budget.
  let a = 0;
  let b = 1;
  while (evaluate(b).spend > budget && b < 1e300) b *= 2;
  let best = Math.min(evaluate(a).g, evaluate(b).g);
  let bestLambda = evaluate(a).g <= evaluate(b).g ? a : b;
  for (let it = 0; it < 100 && b - a > 1e-15 * b; it++) {
    const mid = (a + b) / 2;
    const { g, spend } = evaluate(mid);
    if (g < best) {
      best = g;
      bestLambda = mid;
    }
    if (spend > budget) a = mid;
    else b = mid;
  }
  return { bound: best, lambda: bestLambda };
}
