import { describe, expect, it } from 'vitest';
import { mediaColumn, shapeFromLogits } from '../../../../src/model/online/design.ts';
import { SHAPE_PRIOR, shapeStep } from '../../../../src/model/online/shape-step.ts';
import { seededRandom } from '../../../../src/random.ts';

const CENTRE: [number, number, number] = [SHAPE_PRIOR.logitTheta.centre, SHAPE_PRIOR.logK.centre, SHAPE_PRIOR.logS.centre];
const PRIORS = [SHAPE_PRIOR.logitTheta, SHAPE_PRIOR.logK, SHAPE_PRIOR.logS] as const;

const random = seededRandom(81);
const rows = 200;
const spend = Float64Array.from({ length: rows }, () => 0.5 + random.next());
const gaps = new Float64Array(rows).fill(1);
const beta = 2;

function column(logits: readonly [number, number, number]) {
  return mediaColumn(spend, gaps, shapeFromLogits(...logits), true);
}

/** ½Σ w r²/σ² + ½Σ ((φ − c)/sd)²: the objective the step descends. */
function objective(target: Float64Array, logits: readonly [number, number, number], noiseVariance: number): number {
  const h = column(logits).value;
  let sum = 0;
  for (let t = 0; t < rows; t++) sum += (target[t]! - beta * h[t]!) ** 2 / noiseVariance;
  logits.forEach((v, p) => (sum += ((v - PRIORS[p]!.centre) / PRIORS[p]!.sd) ** 2));
  return sum / 2;
}

function step(target: Float64Array, current: [number, number, number], noiseVariance: number, weight = new Float64Array(rows).fill(1)) {
  const media = column(current);
  const residual = Float64Array.from(target, (y, t) => y - beta * media.value[t]!);
  return shapeStep({ media, beta: new Float64Array(rows).fill(beta), residual, weight, noiseVariance, current });
}

describe('shapeStep', () => {
  it('stays at the prior centre when the data say nothing (zero weights)', () => {
    const target = new Float64Array(rows);
    const next = step(target, [...CENTRE], 1, new Float64Array(rows));
    next.forEach((v, p) => expect(v).toBeCloseTo(CENTRE[p]!, 12));
  });

  it('is pulled towards the prior without data, by at most 0.1 per step', () => {
    const start: [number, number, number] = [CENTRE[0] + 2, CENTRE[1] - 1, CENTRE[2]];
    const next = step(new Float64Array(rows), start, 1, new Float64Array(rows));
    expect(next[0]).toBeLessThan(start[0]);
    expect(next[1]).toBeGreaterThan(start[1]);
    expect(next[2]).toBeCloseTo(start[2], 12);
    expect(Math.max(...next.map((v, p) => Math.abs(v - start[p]!)))).toBeCloseTo(0.1, 12);
  });

  it('keeps the shape inside its plausible ranges', () => {
    const next = step(new Float64Array(rows), [PRIORS[0].max + 3, PRIORS[1].min - 3, PRIORS[2].max + 1], 1, new Float64Array(rows));
    expect(next[0]).toBeLessThanOrEqual(PRIORS[0].max);
    expect(next[1]).toBeGreaterThanOrEqual(PRIORS[1].min);
    expect(next[2]).toBeLessThanOrEqual(PRIORS[2].max);
  });

  it('descends the objective and converges to the true shape on informative data', () => {
    const truth: [number, number, number] = [Math.log(0.5 / 0.5), Math.log(0.9), Math.log(1.6)];
    const noiseVariance = 1e-4;
    const target = Float64Array.from(column(truth).value, (h) => beta * h + 0.01 * random.normal());
    let current: [number, number, number] = [...CENTRE];
    let previous = objective(target, current, noiseVariance);
    for (let i = 0; i < 80; i++) {
      current = step(target, current, noiseVariance);
      const value = objective(target, current, noiseVariance);
      expect(value, `step ${i}`).toBeLessThanOrEqual(previous * (1 + 1e-9));
      previous = value;
    }
    // Noise 0.01 on 200 rows with spend over [0.5, 1.5]: each parameter is pinned to a few 0.01.
    current.forEach((v, p) => expect(Math.abs(v - truth[p]!), `parameter ${p}`).toBeLessThan(0.1));
  });
});
