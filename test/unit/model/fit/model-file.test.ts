import { describe, expect, it } from 'vitest';
import { curveTypes } from '../../../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../../../src/model/curves/types.ts';
import { allocationProblemFromModel, MODEL_FORMAT, readModelCurves } from '../../../../src/model/fit/model-file.ts';

const CURVES: Record<string, CurveSpec> = {
  tv: { type: 'hill', beta: 1000, k: 50, s: 1.5 },
  search: { type: 'exp', beta: 800, k: 30 },
  social: { type: 'log', beta: 300, k: 20 },
};

describe('readModelCurves', () => {
  it('reads every registered curve family from a spendflow-model/2 file', () => {
    expect(MODEL_FORMAT).toBe('spendflow-model/2');
    expect(new Set(Object.values(CURVES).map((c) => c.type))).toEqual(new Set(curveTypes));
    const file = { format: MODEL_FORMAT, channels: Object.fromEntries(Object.entries(CURVES).map(([id, curve]) => [id, { curve, roi: 1 }])) };
    expect(readModelCurves(JSON.parse(JSON.stringify(file)))).toEqual(CURVES);
    const problem = allocationProblemFromModel(readModelCurves(file), 100, 0.5);
    expect(problem.channels.map((c) => [c.id, c.curve.type, c.max])).toEqual([['tv', 'hill', 50], ['search', 'exp', 50], ['social', 'log', 50]]);
  });

  it('keeps reading spendflow-model/1 files, whose curves are Hill', () => {
    expect(readModelCurves({ format: 'spendflow-model/1', channels: { tv: { curve: CURVES['tv'] } } })).toEqual({ tv: CURVES['tv'] });
    expect(() => readModelCurves({ format: 'spendflow-model/1', channels: { s: { curve: CURVES['search'] } } })).toThrow(/invalid model file/);
  });

  it('names every bad field', () => {
    try {
      readModelCurves({ format: 'spendflow-model/9', channels: { a: { curve: { type: 'exp', beta: 1, k: -1 } }, b: {} } });
      expect.unreachable();
    } catch (err) {
      const fields = (err as { problems: { field: string }[] }).problems.map((p) => p.field);
      expect(fields).toEqual(['format', 'channels.a.curve.k', 'channels.b.curve']);
    }
  });
});
