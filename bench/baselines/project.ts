/**
 * Euclidean projection onto {lo ≤ x ≤ hi, Σ x = budget}, for the baselines: xᵢ ← clamp(xᵢ + τ)
 * with the shift τ found by bisection (Σ clamp(x + τ) is non-decreasing in τ), then the last bit
 * of rounding put on a channel with room. Assumes Σ lo ≤ budget ≤ Σ hi and finite bounds.
 */
export function projectToBudget(x: ArrayLike<number>, lo: Float64Array, hi: Float64Array, budget: number): Float64Array {
  const n = lo.length;
  const out = new Float64Array(n);
  const fill = (tau: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = Math.min(hi[i]!, Math.max(lo[i]!, (x[i] ?? 0) + tau));
      out[i] = v;
      s += v;
    }
    return s;
  };
  // τ between these two puts every channel at its lower and upper bound respectively.
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    a = Math.min(a, lo[i]! - (x[i] ?? 0));
    b = Math.max(b, hi[i]! - (x[i] ?? 0));
  }
  for (let it = 0; it < 200 && b - a > 1e-13 * (Math.abs(a) + Math.abs(b) + 1); it++) {
    const mid = (a + b) / 2;
    if (fill(mid) < budget) a = mid;
    else b = mid;
  }
  let residual = budget - fill((a + b) / 2);
  for (let i = 0; i < n && residual !== 0; i++) {
    const v = Math.min(hi[i]!, Math.max(lo[i]!, out[i]! + residual));
    residual -= v - out[i]!;
    out[i] = v;
  }
  return out;
}
