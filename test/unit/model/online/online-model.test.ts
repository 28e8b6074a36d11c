import { describe, expect, it } from 'vitest';
import { SpendflowError } from '../../../../src/errors.ts';
import { createOnlineModel, updateOnlineModel } from '../../../../src/model/online/online-model.ts';
import { betaSd, isFitted, modelCurves } from '../../../../src/model/online/response.ts';
import type { ModelBucket, OnlineModelOptions, OnlineModelState } from '../../../../src/model/online/types.ts';
import { expectAllClose } from './dense-reference.ts';
import { marginal, OPTIONS, runOnline, specOf } from './model-runs.ts';
import { CHANNELS, HOUR, START, syntheticBuckets, trueMarginal } from './synthetic.ts';

function thrown(f: () => unknown): SpendflowError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(SpendflowError);
    return err as SpendflowError;
  }
  throw new Error('expected a SpendflowError, nothing was thrown');
}

describe('createOnlineModel', () => {
  it('puts every channel in the unattributed block, scaled by its reference spend', () => {
    const state = createOnlineModel(specOf(), OPTIONS);
    expect(state.format).toBe('spendflow-online/1');
    expect(state.channels).toEqual(['search', 'social', 'display']);
    expect(state.blocks.map((b) => [b.target, b.channels])).toEqual([[{ kind: 'unattributed' }, [0, 1, 2]]]);
    expect(state.spendScale).toEqual([600, 500, 300]);
    expect(state.revenueScale).toBe(1.5 * 1400); // prior ROI × total reference spend
    expect(state.season.map((s) => s.periodMs)).toEqual([24 * HOUR, 168 * HOUR]);
    expect(state.window).toEqual([]);
    expect(isFitted(state)).toBe(false);
  });

  it('gives each attributed channel its own block', () => {
    const state = createOnlineModel(specOf(CHANNELS, ['social']), OPTIONS);
    expect(state.blocks.map((b) => [b.target, b.channels])).toEqual([
      [{ kind: 'unattributed' }, [0, 2]],
      [{ kind: 'attributed', channel: 'social' }, [1]],
    ]);
  });

  it('falls back to the mean reference spend for channels without one', () => {
    const state = createOnlineModel({ channels: ['a', 'b', 'c'], referenceSpend: { a: 100, b: 0 } }, OPTIONS);
    expect(state.spendScale).toEqual([100, 100 / 3, 100 / 3]);
  });

  it('rejects a model without channels or with unknown attributed channels', () => {
    expect(thrown(() => createOnlineModel({ channels: [], referenceSpend: {} }, OPTIONS)).code).toBe('INPUT_INVALID');
    const err = thrown(() => createOnlineModel(specOf(CHANNELS, ['search', 'tv']), OPTIONS));
    expect(err.code).toBe('INPUT_INVALID');
    expect(err.message).toContain('tv');
  });
});

describe('updateOnlineModel: the replay window', () => {
  it('stays bounded at windowBuckets, keeping the newest buckets and one innovation per row', () => {
    const options: OnlineModelOptions = { ...OPTIONS, windowBuckets: 48 };
    const buckets = syntheticBuckets({ seed: 51, buckets: 130 });
    runOnline(buckets, options, specOf(), (state, t) => {
      expect(state.window.length).toBe(Math.min(t + 1, 48));
      expect(state.window.map((r) => r.start)).toEqual(buckets.slice(Math.max(0, t + 1 - 48), t + 1).map((b) => b.start));
      expect(state.updates).toBe(t + 1);
      expect(state.lastBucket).toBe(buckets[t]!.start);
      for (const block of state.blocks) {
        expect(block.innovations.length).toBe(state.window.length);
        expect(block.innovationSd.length).toBe(state.window.length);
      }
    });
  });

  it('stores raw money in the window, in channel order, with missing channels at 0', () => {
    const state = createOnlineModel(specOf(), OPTIONS);
    const { state: next } = updateOnlineModel(state, { start: START, revenue: 5000, spend: { display: 250, search: 610 } }, OPTIONS);
    expect(next.window).toEqual([{ start: START, revenue: 5000, spend: [610, 0, 250], attributed: [0, 0, 0] }]);
  });

  it('can predict (and reports a standardised error) from the second bucket on', () => {
    const { reports } = runOnline(syntheticBuckets({ seed: 52, buckets: 5 }));
    expect(reports[0]!.error).toBeNull();
    for (const r of reports.slice(1)) expect(Number.isFinite(r.error)).toBe(true);
    for (const r of reports) expect(r.rmse).toBeGreaterThanOrEqual(0);
  });
});

describe('updateOnlineModel: state as data', () => {
  const buckets = syntheticBuckets({ seed: 53, buckets: 100 });
  const { state } = runOnline(buckets.slice(0, 99));

  it('round-trips through JSON unchanged', () => {
    expect(isFitted(state)).toBe(true);
    expect(JSON.parse(JSON.stringify(state))).toStrictEqual(state);
  });

  it('updates a parsed copy to exactly the same next state as the original', () => {
    const copy = JSON.parse(JSON.stringify(state)) as OnlineModelState;
    const a = updateOnlineModel(state, buckets[99]!, OPTIONS);
    const b = updateOnlineModel(copy, buckets[99]!, OPTIONS);
    expect(b.state).toStrictEqual(a.state);
    expect(b.report).toStrictEqual(a.report);
    expect(JSON.stringify(b.state)).toBe(JSON.stringify(a.state));
  });

  it('does not modify the state it is given', () => {
    const before = JSON.stringify(state);
    updateOnlineModel(state, buckets[99]!, OPTIONS);
    expect(JSON.stringify(state)).toBe(before);
  });
});

describe('updateOnlineModel: invalid buckets', () => {
  const buckets = syntheticBuckets({ seed: 54, buckets: 40 });
  const { state } = runOnline(buckets.slice(0, 39));
  const last = buckets[38]!;
  const good = buckets[39]!;
  const expectedNext = updateOnlineModel(state, good, OPTIONS).state;

  const cases: readonly { name: string; bucket: ModelBucket; fields: string[] }[] = [
    { name: 'NaN revenue', bucket: { ...good, revenue: Number.NaN }, fields: ['revenue'] },
    { name: 'infinite revenue', bucket: { ...good, revenue: Number.POSITIVE_INFINITY }, fields: ['revenue'] },
    { name: 'negative revenue', bucket: { ...good, revenue: -1 }, fields: ['revenue'] },
    { name: 'negative spend', bucket: { ...good, spend: { ...good.spend, social: -5 } }, fields: ['spend.social'] },
    { name: 'NaN attributed revenue', bucket: { ...good, attributedRevenue: { search: Number.NaN } }, fields: ['attributedRevenue.search'] },
    { name: 'a start equal to the last bucket', bucket: { ...good, start: last.start }, fields: ['start'] },
    { name: 'a start before the last bucket', bucket: { ...good, start: last.start - HOUR }, fields: ['start'] },
    { name: 'a fractional start', bucket: { ...good, start: good.start + 0.5 }, fields: ['start'] },
    {
      name: 'several problems at once',
      bucket: { start: last.start, revenue: Number.NaN, spend: { search: -1, display: Number.NaN } },
      fields: ['start', 'revenue', 'spend.search', 'spend.display'],
    },
  ];

  for (const { name, bucket, fields } of cases) {
    it(`throws INPUT_INVALID naming the field for ${name}, and the state stays usable`, () => {
      const before = JSON.stringify(state);
      const err = thrown(() => updateOnlineModel(state, bucket, OPTIONS));
      expect(err.code).toBe('INPUT_INVALID');
      expect(err.retriable).toBe(false);
      expect(err.problems.map((p) => p.field).sort()).toEqual([...fields].sort());
      expect(JSON.stringify(state)).toBe(before);
      // The refused bucket left no trace: the next good bucket gives what it gives without it.
      expect(updateOnlineModel(state, good, OPTIONS).state).toStrictEqual(expectedNext);
    });
  }

  it('also refuses a bad first bucket', () => {
    const fresh = createOnlineModel(specOf(), OPTIONS);
    expect(thrown(() => updateOnlineModel(fresh, { start: Number.NaN, revenue: 1, spend: {} }, OPTIONS)).problems.map((p) => p.field)).toEqual(['start']);
  });
});

describe('attributed channels', () => {
  const n = 200;
  const spec = specOf(CHANNELS, ['search']);
  const base = syntheticBuckets({ seed: 55, buckets: n, attributed: { search: 1 } });
  const attributedRun = runOnline(base, OPTIONS, spec);

  it('fits the attributed channel in its own block, on its attributed revenue', () => {
    const { state } = attributedRun;
    expect(state.blocks.map((b) => b.channels)).toEqual([[1, 2], [0]]);
    // Change the revenue nobody attributed (±10%, a different market for the other block): the
    // attributed block and search's curve must not move at all.
    const perturbed = base.map((b, t) => ({ ...b, revenue: b.revenue * (1 + 0.1 * Math.sin(t)) }));
    const other = runOnline(perturbed, OPTIONS, spec).state;
    expect(other.blocks[1]).toStrictEqual(state.blocks[1]);
    expect(other.shape.logitTheta[0]).toBe(state.shape.logitTheta[0]);
    expect(other.shape.logK[0]).toBe(state.shape.logK[0]);
    expect(other.shape.logS[0]).toBe(state.shape.logS[0]);
    expect(other.blocks[0]!.mean).not.toEqual(state.blocks[0]!.mean);
  });

  it('fits the other channels on the revenue net of what is attributed', () => {
    const { state } = attributedRun;
    // Move revenue from "unattributed" to "attributed to search": total and attributed both grow
    // by the same amount, so the unattributed block's target (total − attributed) is unchanged.
    const shifted = base.map((b, t) => {
      const extra = 100 * (1 + Math.cos(t / 5));
      return { ...b, revenue: b.revenue + extra, attributedRevenue: { search: b.attributedRevenue!.search! + extra } };
    });
    const other = runOnline(shifted, OPTIONS, spec).state;
    // Equal up to rounding: (revenue + extra) − (attributed + extra) is not bitwise revenue − attributed.
    const a = other.blocks[0]!;
    const b = state.blocks[0]!;
    expectAllClose([...a.mean, ...a.information, a.noiseVariance], [...b.mean, ...b.information, b.noiseVariance], 1e-9, 'unattributed block');
    expectAllClose([1, 2].flatMap((c) => [other.shape.logitTheta[c]!, other.shape.logK[c]!, other.shape.logS[c]!]), [1, 2].flatMap((c) => [state.shape.logitTheta[c]!, state.shape.logK[c]!, state.shape.logS[c]!]), 1e-9, 'shapes');
    expect(a.drift.detections).toBe(b.drift.detections);
    expect(other.blocks[1]!.mean).not.toEqual(state.blocks[1]!.mean);
  });

  it("learns the attributed channel's curve much more precisely than from the total revenue", () => {
    const { state } = attributedRun;
    const shared = runOnline(syntheticBuckets({ seed: 55, buckets: n }), OPTIONS).state;
    const search = CHANNELS[0]!;
    const truth = trueMarginal(search, search.reference);
    // The attributed revenue carries no noise here: only the shape's slow convergence is left.
    expect(Math.abs(marginal(modelCurves(state).search!, search.reference) / truth - 1)).toBeLessThan(0.05);
    expect(betaSd(state).search!).toBeLessThan(0.5 * betaSd(shared).search!);
  });
});
