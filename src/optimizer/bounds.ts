/**
 * Euclidean projection of x onto {lo ≤ x ≤ hi, Σx = budget}: xᵢ = clamp(xᵢ + τ), with the shift τ
 * found by bisection (Σ clamp(x + τ) is non-decreasing in τ). Assumes Σlo ≤ budget ≤ Σhi.
 */
export function projectOntoBudget(x: ArrayLike<number>, lo: Float64Array, hi: Float64Array, budget: number): Float64Array {
  const n = lo.length;
  const clampSum = (tau: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.min(hi[i]!, Math.max(lo[i]!, (x[i] ?? 0) + tau));
    return s;
  };
  let a = -budget - 1;
  let b = budget + 1;
  for (let i = 0; i < n; i++) {
    a = Math.min(a, lo[i]! - (x[i] ?? 0));
    if (Number.isFinite(hi[i]!)) b = Math.max(b, hi[i]! - (x[i] ?? 0));
  }
  for (let iter = 0; iter < 200 && b - a > 1e-12 * (1 + Math.abs(budget)); iter++) {
    const mid = (a + b) / 2;
    if (clampSum(mid) < budget) a = mid;
    else b = mid;
  }
  const tau = (a + b) / 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(hi[i]!, Math.max(lo[i]!, (x[i] ?? 0) + tau));
  // Put the bisection's tiny residual on a channel with room, so Σ = budget to rounding.
  const residual = budget - out.reduce((s, v) => s + v, 0);
  for (let i = 0; i < n && residual !== 0; i++) {
    const v = out[i]! + residual;
    if (v >= lo[i]! && v <= hi[i]!) {
      out[i] = v;
      break;
    }
  }
  return out;
}
