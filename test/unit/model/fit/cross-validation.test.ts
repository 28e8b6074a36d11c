import { describe, expect, it } from 'vitest';
import {
  crossValidationMembers,
  DEFAULT_GRID,
  gridCandidates,
  gridStarts,
  oneStandardErrorChoice,
  rollingOriginFolds,
  scoreCandidates,
  type CandidateScore,
  type Grid,
} from '../../../../src/model/fit/cross-validation.ts';
import { DEFAULT_SHAPE } from '../../../../src/model/fit/members.ts';
import { nrmse } from '../../../../src/model/fit/metrics.ts';

describe('rolling-origin folds', () => {
  it('validate consecutive windows that end at the last period given and train on everything before', () => {
    const folds = rollingOriginFolds(166, 3, 0.1, 10);
    expect(folds).toEqual([
      { fold: 1, origin: 115, validationPeriods: 17 },
      { fold: 2, origin: 132, validationPeriods: 17 },
      { fold: 3, origin: 149, validationPeriods: 17 },
    ]);
    expect(folds.at(-1)!.origin + folds.at(-1)!.validationPeriods).toBe(166);
  });

  it('are skipped when they would leave too little to train on', () => {
    expect(rollingOriginFolds(20, 3, 0.2, 10)).toEqual([]);
    expect(rollingOriginFolds(40, 3, 0.1, 10)).toHaveLength(3);
  });
});

describe('the grid', () => {
  const grid: Grid = { adstock: ['geometric', 'weibull-pdf'], saturation: ['hill', 'log'], strength: [1, 10], theta: [0.1, 0.5], s: [0.8, 1.6, 2.4] };

  it('crosses the families and strengths into candidates, and decays × shapes into starts (no shape for log)', () => {
    expect(gridCandidates(grid)).toHaveLength(2 * 2 * 2);
    expect(gridStarts(grid, 'hill').map((s) => [s.theta, s.s])).toEqual([[0.1, 0.8], [0.1, 1.6], [0.1, 2.4], [0.5, 0.8], [0.5, 1.6], [0.5, 2.4]]);
    expect(gridStarts(grid, 'log').map((s) => s.theta)).toEqual([0.1, 0.5]);
    // Longer decay, longer Weibull scale.
    const [short, long] = gridStarts(grid, 'log');
    expect(long!.weibullScale).toBeGreaterThan(short!.weibullScale);
  });

  it('puts every candidate × fold × start into one batch, weighted to train before the fold origin only, priors on one neutral centre', () => {
    const folds = rollingOriginFolds(60, 3, 0.1, 10);
    const candidates = gridCandidates(DEFAULT_GRID);
    const { members, index } = crossValidationMembers(candidates, DEFAULT_GRID, folds, 60);
    const starts = gridStarts(DEFAULT_GRID, 'hill').length;
    expect(members).toHaveLength(candidates.length * folds.length * starts);
    folds.forEach((fold, f) => {
      const member = members[index[1]![f]![0]!]!;
      expect(member.strength).toBe(candidates[1]!.strength);
      expect(member.centre).toEqual(DEFAULT_SHAPE);
      const weights = Array.from(member.weights!);
      expect(weights.slice(0, fold.origin).every((w) => w === 1)).toBe(true);
      expect(weights.slice(fold.origin).every((w) => w === 0)).toBe(true);
    });
    expect(new Set(index.flat(2)).size).toBe(members.length);
  });
});

describe('scoring', () => {
  it('keeps the start with the lowest training loss in each fold and scores its validation window', () => {
    const grid: Grid = { ...DEFAULT_GRID, strength: [1], theta: [0.2], s: [1, 2] };
    const candidates = gridCandidates(grid);
    const n = 30;
    const folds = rollingOriginFolds(n, 2, 0.2, 10);
    const { index } = crossValidationMembers(candidates, grid, folds, n);
    const actual = Array.from({ length: n }, (_, t) => 10 + Math.sin(t));
    // Member m predicts actual + m (start 1 is worse on validation) but start 1 has the lower loss in fold 2.
    const members = index.flat(2).length;
    const predictions = new Float64Array(members * n);
    for (let m = 0; m < members; m++) for (let t = 0; t < n; t++) predictions[m * n + t] = (actual[t] ?? 0) + 0.1 * (m + 1);
    const losses = [1, 2, 2, 1];
    const { scores } = scoreCandidates(candidates, grid, folds, index, losses, actual, predictions);
    const [fold1, fold2] = scores[0]!.folds;
    expect(fold1!.start.s).toBe(1);
    expect(fold2!.start.s).toBe(2);
    const window = (fold: (typeof folds)[number], m: number) => [
      actual.slice(fold.origin, fold.origin + fold.validationPeriods),
      Array.from(predictions.subarray(m * n + fold.origin, m * n + fold.origin + fold.validationPeriods)),
    ] as const;
    expect(fold1!.nrmse).toBeCloseTo(nrmse(...window(folds[0]!, 0)), 12);
    expect(fold2!.nrmse).toBeCloseTo(nrmse(...window(folds[1]!, 3)), 12);
    expect(scores[0]!.meanNrmse).toBeCloseTo((fold1!.nrmse + fold2!.nrmse) / 2, 12);
  });

  it('chooses by the one-standard-error rule: the strongest prior within one standard error of the best', () => {
    const score = (strength: number, folds: number[]): CandidateScore => ({
      candidate: { adstock: 'geometric', saturation: 'hill', strength },
      folds: folds.map((nrmse, i) => ({ fold: i + 1, trainPeriods: 10, validationPeriods: 5, start: { theta: 0.4, s: 1 }, nrmse, rmse: nrmse })),
      meanNrmse: folds.reduce((s, v) => s + v, 0) / folds.length,
    });
    // Best: strength 1 (mean 0.10, sd 0.02, se 0.0115); strength 3 within one se, 10 not.
    const scores = [score(0.3, [0.2, 0.2, 0.2]), score(1, [0.08, 0.1, 0.12]), score(3, [0.1, 0.11, 0.11]), score(10, [0.12, 0.12, 0.12])];
    expect(oneStandardErrorChoice(scores)).toBe(2);
    // With equal fold errors the standard error is 0 and the lowest mean wins.
    expect(oneStandardErrorChoice([score(1, [0.1, 0.1, 0.1]), score(3, [0.1001, 0.1001, 0.1001])])).toBe(0);
  });
});
