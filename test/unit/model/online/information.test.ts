import { describe, expect, it } from 'vitest';
import { solveWindowRegression, type Jump, type WindowRegression } from '../../../../src/model/online/information.ts';
import { seededRandom, type Random } from '../../../../src/random.ts';
import { expectAllClose, inverse, matVec, subMatrix } from './dense-reference.ts';

interface Problem extends WindowRegression {
  /** Row t of the design (width values). */
  row(t: number): number[];
}

/** A random weighted ridge problem: an intercept, some wiggly columns, forgetting weights. */
function randomProblem(random: Random, rows: number, width: number, jumps: readonly Jump[] = [], nonNegative: readonly number[] = [], truth?: readonly number[]): Problem {
  const design = new Float64Array(rows * width);
  for (let t = 0; t < rows; t++) {
    design[t] = 1;
    for (let j = 1; j < width; j++) design[j * rows + t] = 0.2 + random.next();
  }
  const coefficients = truth ?? Array.from({ length: width }, () => 2 * random.next() - 0.5);
  const target = Float64Array.from({ length: rows }, (_, t) => {
    let y = 0.1 * random.normal();
    for (let j = 0; j < width; j++) y += design[j * rows + t]! * coefficients[j]!;
    return y;
  });
  const lambda = Math.pow(0.5, 1 / 30);
  return {
    rows,
    width,
    design,
    target,
    weight: Float64Array.from({ length: rows }, (_, t) => Math.pow(lambda, rows - 1 - t)),
    priorPrecision: Float64Array.from({ length: width }, () => 0.01 + 0.5 * random.next()),
    priorMean: Float64Array.from({ length: width }, () => random.next() - 0.5),
    jumps,
    nonNegative,
    row: (t) => Array.from({ length: width }, (_, j) => design[j * rows + t]!),
  };
}

/**
 * The augmented least squares written out: unknowns [coefficients…, δ…], jump k's column is
 * −z_{t,c} before its row and 0 from it on, its prior N(0, q). Returns A (normal matrix with the
 * prior) and its solution.
 */
function augmentedSolution(p: Problem): { a: Float64Array; n: number; solution: Float64Array } {
  const n = p.width + p.jumps.length;
  const x = (t: number): number[] => {
    const z = p.row(t);
    return [...z, ...p.jumps.map((jump) => (t < jump.row ? -z[jump.component]! : 0))];
  };
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  for (let t = 0; t < p.rows; t++) {
    const xt = x(t);
    for (let i = 0; i < n; i++) {
      b[i]! += p.weight[t]! * xt[i]! * p.target[t]!;
      for (let j = 0; j < n; j++) a[i * n + j]! += p.weight[t]! * xt[i]! * xt[j]!;
    }
  }
  for (let i = 0; i < p.width; i++) {
    a[i * n + i]! += p.priorPrecision[i]!;
    b[i]! += p.priorPrecision[i]! * p.priorMean[i]!;
  }
  p.jumps.forEach((jump, k) => (a[(p.width + k) * n + p.width + k]! += 1 / jump.variance));
  return { a, n, solution: matVec(inverse(a, n)!, b, n) };
}

describe('solveWindowRegression without jumps', () => {
  it('solves the weighted ridge normal equations', () => {
    const random = seededRandom(31);
    for (const [rows, width] of [[50, 4], [120, 7], [8, 6]] as const) {
      const p = randomProblem(random, rows, width);
      const { a, solution } = augmentedSolution(p);
      const fit = solveWindowRegression(p)!;
      expectAllClose(fit.mean, solution, 1e-9, 'mean');
      expect(fit.jumps.length).toBe(0);
      // Information = Λ₀ + Σ w z zᵀ (no jumps: nothing to marginalise).
      expectAllClose(fit.information, a, 1e-10, 'information');
      // Residuals and the weighted SSE at the mean.
      let sse = 0;
      for (let t = 0; t < rows; t++) {
        const r = p.target[t]! - p.row(t).reduce((s, z, j) => s + z * solution[j]!, 0);
        expect(fit.residual[t]).toBeCloseTo(r, 9);
        sse += p.weight[t]! * r * r;
      }
      expect(fit.sse).toBeCloseTo(sse, 9);
    }
  });

  it('shrinks to the prior mean as the prior precision grows, and ignores it as it vanishes', () => {
    const random = seededRandom(32);
    const p = randomProblem(random, 60, 4, [], [], [1, 2, -1, 0.5]);
    const strong = solveWindowRegression({ ...p, priorPrecision: new Float64Array(4).fill(1e9) })!;
    expectAllClose(strong.mean, p.priorMean, 1e-6, 'strong prior');
    const weak = solveWindowRegression({ ...p, priorPrecision: new Float64Array(4).fill(1e-12) })!;
    // With a negligible prior and noise sd 0.1, the fit recovers the generating coefficients.
    expectAllClose(weak.mean, [1, 2, -1, 0.5], 0.25, 'weak prior');
  });

  it('returns null when the system is not positive definite', () => {
    const random = seededRandom(33);
    const p = randomProblem(random, 3, 5); // fewer rows than unknowns
    expect(solveWindowRegression({ ...p, priorPrecision: new Float64Array(5) })).toBeNull();
    expect(solveWindowRegression(p)).not.toBeNull(); // the prior makes it solvable
  });
});

describe('solveWindowRegression with change points', () => {
  const cases: readonly { name: string; jumps: Jump[] }[] = [
    { name: 'one jump', jumps: [{ row: 35, component: 2, variance: 4 }] },
    { name: 'two jumps on different components', jumps: [{ row: 35, component: 2, variance: 4 }, { row: 50, component: 0, variance: 0.5 }] },
    { name: 'two jumps on the same component', jumps: [{ row: 20, component: 1, variance: 1 }, { row: 60, component: 1, variance: 9 }] },
  ];

  for (const { name, jumps } of cases) {
    it(`${name}: equals the explicit augmented least squares`, () => {
      const random = seededRandom(34);
      const p = randomProblem(random, 80, 5, jumps);
      const { a, n, solution } = augmentedSolution(p);
      const fit = solveWindowRegression(p)!;
      expectAllClose(fit.mean, solution.subarray(0, p.width), 1e-9, 'mean');
      expectAllClose(fit.jumps, solution.subarray(p.width), 1e-9, 'jumps');

      // Each row is fitted with the coefficients of its time: β_c − Σ δ_k of the jumps it predates.
      let sse = 0;
      for (let t = 0; t < p.rows; t++) {
        const coefficients = Array.from(fit.mean);
        jumps.forEach((jump, k) => {
          if (t < jump.row) coefficients[jump.component]! -= fit.jumps[k]!;
        });
        const r = p.target[t]! - p.row(t).reduce((s, z, j) => s + z * coefficients[j]!, 0);
        expect(fit.residual[t], `row ${t}`).toBeCloseTo(r, 9);
        sse += p.weight[t]! * r * r;
      }
      expect(fit.sse).toBeCloseTo(sse, 9);

      // Marginal information of the current coefficients: the inverse of their block of A⁻¹.
      const inv = inverse(a, n)!;
      const keep = Array.from({ length: p.width }, (_, i) => i);
      expectAllClose(fit.information, inverse(subMatrix(inv, n, keep), p.width)!, 1e-8, 'marginal information');
      // …which is less than the joint block (the jumps took information away).
      const joint = subMatrix(a, n, keep);
      for (const { component } of jumps) expect(fit.information[component * p.width + component]!).toBeLessThan(joint[component * p.width + component]!);
    });
  }

  it('a jump with a vanishing prior variance changes nothing; a huge one frees the old rows', () => {
    const random = seededRandom(35);
    // The coefficient of column 2 is 1 before row 40 and 3 from it on.
    const base = randomProblem(random, 100, 4, [], [], [1, 0.5, 3, -0.5]);
    const target = Float64Array.from(base.target, (y, t) => (t < 40 ? y - 2 * base.design[2 * base.rows + t]! : y));
    const p = { ...base, target, priorPrecision: new Float64Array(4).fill(1e-6) };
    const none = solveWindowRegression(p)!;
    const tiny = solveWindowRegression({ ...p, jumps: [{ row: 40, component: 2, variance: 1e-14 }] })!;
    expectAllClose(tiny.mean, none.mean, 1e-6, 'tiny jump');
    const free = solveWindowRegression({ ...p, jumps: [{ row: 40, component: 2, variance: 1e6 }] })!;
    // Today's coefficient is learnt from the rows since the change, the jump is the difference.
    expect(free.mean[2]).toBeCloseTo(3, 0);
    expect(free.jumps[0]).toBeCloseTo(2, 0);
    expect(Math.abs(free.mean[2]! - 3)).toBeLessThan(Math.abs(none.mean[2]! - 3) / 4);
  });
});

describe('solveWindowRegression with non-negative coefficients', () => {
  it('keeps β ≥ 0 and equals the solution with the offending column removed', () => {
    const random = seededRandom(36);
    // Column 3 has a clearly negative effect; columns 3 and 4 are constrained.
    const p = randomProblem(random, 80, 5, [], [3, 4], [1, 0.5, 0.8, -1.5, 0.7]);
    const unconstrained = solveWindowRegression({ ...p, nonNegative: [] })!;
    expect(unconstrained.mean[3]).toBeLessThan(-0.5);
    expect(unconstrained.mean[4]).toBeGreaterThan(0);

    const fit = solveWindowRegression(p)!;
    expect(fit.mean[3]).toBe(0);
    const keep = [0, 1, 2, 4];
    const { a, n } = augmentedSolution(p);
    const b = new Float64Array(n);
    for (let t = 0; t < p.rows; t++) p.row(t).forEach((z, i) => (b[i]! += p.weight[t]! * z * p.target[t]!));
    for (let i = 0; i < p.width; i++) b[i]! += p.priorPrecision[i]! * p.priorMean[i]!;
    const reduced = matVec(inverse(subMatrix(a, n, keep), keep.length)!, keep.map((i) => b[i]!), keep.length);
    expectAllClose(keep.map((i) => fit.mean[i]!), reduced, 1e-9, 'reduced solution');
    // It is the constrained optimum (KKT): raising β₃ from 0 would only make the fit worse.
    const gradient = matVec(a, fit.mean, n)[3]! - b[3]!;
    expect(gradient).toBeGreaterThan(0);
    // Residuals are those of the constrained mean.
    for (let t = 0; t < p.rows; t++) expect(fit.residual[t]).toBeCloseTo(p.target[t]! - p.row(t).reduce((s, z, j) => s + z * fit.mean[j]!, 0), 9);
  });

  it('changes nothing when the unconstrained solution is already non-negative', () => {
    const random = seededRandom(37);
    const p = randomProblem(random, 80, 5, [{ row: 30, component: 4, variance: 2 }], [3, 4], [1, 0.5, 0.8, 1.5, 0.7]);
    const free = solveWindowRegression({ ...p, nonNegative: [] })!;
    const fit = solveWindowRegression(p)!;
    expect(Math.min(free.mean[3]!, free.mean[4]!)).toBeGreaterThan(0);
    expect([...fit.mean]).toEqual([...free.mean]);
    expect([...fit.jumps]).toEqual([...free.jumps]);
  });
});
