/** `spendflow fit` on a small synthetic history, and `spendflow optimize --model` on its output. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSpendflow } from '../../support/cli.ts';
import { geometricAdstock } from '../../../src/model/adstock.ts';
import { curveValue } from '../../../src/model/curves/registry.ts';
import type { CurveSpec, HillCurve } from '../../../src/model/curves/types.ts';
import { fitRidgeBaseline } from '../../../src/model/fit/ridge-baseline.ts';
import { seededRandom } from '../../../src/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'spendflow-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const WEEKS = 60;
const TRUTH: Record<string, { curve: HillCurve; theta: number; mean: number }> = {
  tv: { curve: { type: 'hill', beta: 60_000, k: 20_000, s: 1.3 }, theta: 0.5, mean: 20_000 },
  search: { curve: { type: 'hill', beta: 40_000, k: 8_000, s: 1 }, theta: 0.2, mean: 10_000 },
};

/** 60 weekly rows from known curves with 2% noise, a numeric and a categorical control. */
function syntheticCsv(): string {
  const random = seededRandom(7);
  const spend: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(TRUTH)) spend[name] = Array.from({ length: WEEKS }, () => t.mean * (0.2 + 1.6 * random.next()));
  const media = Object.entries(TRUTH).map(([name, t]) =>
    Array.from(geometricAdstock(Float64Array.from(spend[name] ?? []), t.theta, { maxLag: 8, normalize: true }), (a) => curveValue(t.curve, a)),
  );
  const lines = ['date,revenue,tv_S,search_S,price,promo'];
  for (let w = 0; w < WEEKS; w++) {
    const date = new Date(Date.UTC(2022, 0, 3) + w * 7 * 86_400_000).toISOString().slice(0, 10);
    const price = 10 + random.next();
    const promo = w % 9 === 0 ? 'yes' : 'no';
    const mu = 100_000 + 150 * w + 6_000 * Math.sin((2 * Math.PI * w) / 52.18) - 2_000 * (price - 10) + (promo === 'yes' ? 5_000 : 0) + (media[0]?.[w] ?? 0) + (media[1]?.[w] ?? 0);
    const revenue = mu * (1 + 0.02 * random.normal());
    lines.push(`${date},${revenue.toFixed(2)},${(spend['tv']?.[w] ?? 0).toFixed(2)},${(spend['search']?.[w] ?? 0).toFixed(2)},${price.toFixed(3)},${promo}`);
  }
  return lines.join('\n') + '\n';
}

const csv = join(dir, 'history.csv');
writeFileSync(csv, syntheticCsv());
const STEPS = { cv: 150, fit: 300, bootstrap: 100 };
const FLAGS = [
  '--date', 'date', '--target', 'revenue', '--channels', 'tv_S,search_S', '--controls', 'price,promo',
  '--steps', String(STEPS.fit), '--cv-steps', String(STEPS.cv), '--bootstrap', '6', '--bootstrap-steps', String(STEPS.bootstrap),
];
type Interval = { lower: number; median: number; upper: number };

interface ModelJson {
  format: string;
  frequency: string;
  periodMs: number;
  fittedAt: null;
  refit: string;
  channels: Record<string, {
    curve: CurveSpec;
    adstock: { type: string; theta: number };
    contribution: number;
    spend: number;
    roi: number;
    marginalRoi: number;
    responseCurve: { spend: number; response: number; lower: number; upper: number }[];
    intervals: { roi: Interval; contribution: Interval; marginalRoi: Interval } | null;
  }>;
  baseline: { intercept: number; trend: number; controls: { name: string; coefficient: number }[] };
  holdout: { mape: number; nrmse: number; r2: number; ridgeNrmse: number; trainPeriods: number; periods: number };
  shares: Record<string, { spendShare: number; effectShare: number }>;
  training: { adstock: string; saturation: string; priorStrength: number };
  uncertainty: { members: number; level: number; expectedRevenue: { total: Interval; media: Interval } } | null;
  ensemble: Record<string, { curve: CurveSpec }>[];
  crossValidation: {
    folds: { fold: number; trainPeriods: number; validationPeriods: number }[];
    candidates: { strength: number; meanNrmse: number; folds: { fold: number; nrmse: number }[] }[];
    chosen: { strength: number };
    members: number;
  } | null;
}

function finiteNumbersIn(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => finiteNumbersIn(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => finiteNumbersIn(v, `${path}.${k}`));
  return [];
}

describe('spendflow fit', () => {
  const out = join(dir, 'model.json');
  let res: { code: number; out: string; err: string };
  let model: ModelJson;

  beforeAll(async () => {
    res = await runSpendflow(['fit', csv, ...FLAGS, '--out', out]);
    model = JSON.parse(readFileSync(out, 'utf8')) as ModelJson;
  }, 60_000);

  it('writes a versioned model.json with the documented fields and finite numbers', () => {
    expect(res.code, res.err).toBe(0);
    expect(model.format).toBe('spendflow-model/2');
    expect(model.frequency).toBe('weekly');
    expect(model.periodMs).toBe(7 * 86_400_000);
    expect(model.fittedAt).toBeNull();
    expect(model.refit).toBe('all-data');
    expect(Object.keys(model.channels)).toEqual(['tv_S', 'search_S']);
    for (const channel of Object.values(model.channels)) {
      expect(channel.curve.type).toBe('hill');
      expect(channel.curve.beta).toBeGreaterThan(0);
      expect(channel.adstock.type).toBe('geometric');
      expect(channel.roi).toBeCloseTo(channel.contribution / channel.spend, 8);
      expect(channel.responseCurve).toHaveLength(21);
      expect(channel.responseCurve[0]).toEqual({ spend: 0, response: 0, lower: 0, upper: 0 });
      const spends = channel.responseCurve.map((p) => p.spend);
      expect(spends).toEqual([...spends].sort((a, b) => a - b));
      for (const p of channel.responseCurve) {
        expect(p.response).toBeCloseTo(curveValue(channel.curve, p.spend), 6);
        expect(p.lower).toBeLessThanOrEqual(p.upper);
      }
      for (const i of [channel.intervals!.roi, channel.intervals!.contribution, channel.intervals!.marginalRoi]) {
        expect(i.lower).toBeLessThanOrEqual(i.median);
        expect(i.median).toBeLessThanOrEqual(i.upper);
      }
      // The interval is the spread of the bootstrap members' ROI.
      expect(channel.intervals!.roi.upper).toBeGreaterThan(channel.intervals!.roi.lower);
    }
    expect(model.baseline.controls.map((c) => c.name)).toEqual(['price', 'promo_yes']);
    const spendShares = Object.values(model.shares).reduce((s, v) => s + v.spendShare, 0);
    const effectShares = Object.values(model.shares).reduce((s, v) => s + v.effectShare, 0);
    expect(spendShares).toBeCloseTo(1, 9);
    expect(effectShares).toBeCloseTo(1, 9);
    expect(model.uncertainty).toMatchObject({ members: 6, level: 0.9 });
    expect(model.ensemble).toHaveLength(6);
    const total = model.uncertainty!.expectedRevenue.total;
    expect(total.lower).toBeLessThanOrEqual(total.upper);
    expect(total.median).toBeGreaterThan(0);
    expect(finiteNumbersIn(model)).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('reports hold-out metrics on the last 20% next to the ridge baseline', () => {
    expect(model.holdout.periods).toBe(12);
    expect(model.holdout.trainPeriods).toBe(48);
    expect(model.holdout.nrmse).toBeGreaterThan(0);
    expect(model.holdout.ridgeNrmse).toBeGreaterThan(0);
    expect(model.holdout.mape).toBeLessThan(0.2);
    expect(model.holdout.r2).toBeLessThanOrEqual(1);
    expect(res.out).toContain('ridge NRMSE');
    const total = STEPS.cv + STEPS.fit + STEPS.bootstrap;
    expect(res.err).toContain(`100% (${total}/${total} steps)`);
  });

  it('prints the report as JSON with --json and keeps the training fit with --no-refit', async () => {
    const jsonOut = join(dir, 'model-json.json');
    const r = await runSpendflow(['fit', csv, ...FLAGS, '--out', jsonOut, '--json', '--no-refit', '--quiet']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out) as { out: string; rows: { input: number; kept: number }; model: ModelJson };
    expect(report.out).toBe(jsonOut);
    expect(report.rows).toMatchObject({ input: WEEKS, kept: WEEKS });
    expect(report.model.refit).toBe('train-only');
    expect(report.model.holdout.ridgeNrmse).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(jsonOut, 'utf8'))).toEqual(report.model);
  }, 30_000);

  it('chooses the hyperparameters by rolling-origin cross-validation inside the training periods, by default', () => {
    const cv = model.crossValidation!;
    expect(cv.folds).toHaveLength(3);
    // Every fold trains and validates inside the 48 training periods: the hold-out is never seen.
    for (const fold of cv.folds) expect(fold.trainPeriods + fold.validationPeriods).toBeLessThanOrEqual(model.holdout.trainPeriods);
    expect(cv.candidates.map((c) => c.strength)).toEqual([0.3, 1, 3, 10]);
    // candidates × starts (3 decays × 2 shapes) × folds, in one batch.
    expect(cv.members).toBe(4 * 6 * 3);
    for (const candidate of cv.candidates) {
      expect(candidate.folds).toHaveLength(3);
      for (const fold of candidate.folds) expect(Number.isFinite(fold.nrmse) && fold.nrmse > 0).toBe(true);
      expect(candidate.meanNrmse).toBeCloseTo(candidate.folds.reduce((s, f) => s + f.nrmse, 0) / 3, 10);
    }
    const best = Math.min(...cv.candidates.map((c) => c.meanNrmse));
    expect(cv.candidates.find((c) => c.strength === cv.chosen.strength)!.meanNrmse).toBe(best);
    expect(model.training.priorStrength).toBe(cv.chosen.strength);
  });

  it('skips cross-validation with --no-cv and fits other curve families with --curve', async () => {
    const expOut = join(dir, 'model-exp.json');
    const r = await runSpendflow(['fit', csv, ...FLAGS, '--out', expOut, '--json', '--no-cv', '--curve', 'exp', '--prior-strength', '2', '--quiet']);
    expect(r.code, r.err).toBe(0);
    const m = (JSON.parse(r.out) as { model: ModelJson }).model;
    expect(m.crossValidation).toBeNull();
    expect(m.training).toMatchObject({ saturation: 'exp', priorStrength: 2 });
    for (const channel of Object.values(m.channels)) {
      expect(channel.curve.type).toBe('exp');
      for (const p of channel.responseCurve) expect(p.response).toBeCloseTo(curveValue(channel.curve, p.spend), 6);
    }
    const allocated = await runSpendflow(['optimize', '--model', expOut, '--budget', '30000']);
    expect(allocated.code, allocated.err).toBe(0);
    const result = JSON.parse(allocated.out) as { allocation: Record<string, number>; response: number };
    const response = Object.entries(result.allocation).reduce((s, [id, x]) => s + curveValue(m.channels[id]!.curve, x), 0);
    expect(result.response).toBeCloseTo(response, 4);
  }, 60_000);

  it('optimize --model still reads spendflow-model/1 files (Hill curves only)', async () => {
    const v1 = join(dir, 'model-v1.json');
    const channels = Object.fromEntries(Object.entries(model.channels).map(([id, c]) => [id, { curve: c.curve }]));
    writeFileSync(v1, JSON.stringify({ format: 'spendflow-model/1', channels }));
    const r = await runSpendflow(['optimize', '--model', v1, '--budget', '30000']);
    expect(r.code, r.err).toBe(0);
    const badV1 = join(dir, 'model-v1-exp.json');
    writeFileSync(badV1, JSON.stringify({ format: 'spendflow-model/1', channels: { a: { curve: { type: 'exp', beta: 1, k: 1 } } } }));
    const bad = await runSpendflow(['optimize', '--model', badV1, '--budget', '100']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('channels.a.curve.type');
  });

  it('allocates a budget with the fitted curves: optimize --model', async () => {
    const r = await runSpendflow(['optimize', '--model', out, '--budget', '30000', '--max-share', '0.8']);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { allocation: Record<string, number>; gap: number; response: number };
    const total = Object.values(result.allocation).reduce((s, v) => s + v, 0);
    expect(total).toBeCloseTo(30000, 4);
    for (const x of Object.values(result.allocation)) expect(x).toBeLessThanOrEqual(0.8 * 30000 + 1e-6);
    expect(Number.isFinite(result.gap)).toBe(true);
    expect(result.gap).toBeGreaterThanOrEqual(0);
    const response = Object.entries(result.allocation).reduce((s, [id, x]) => s + curveValue(model.channels[id]!.curve, x), 0);
    expect(result.response).toBeCloseTo(response, 4);
  });

  it('optimize exits 2 with both a problem file and --model, with neither, or without --budget', async () => {
    expect((await runSpendflow(['optimize', out, '--model', out, '--budget', '100'])).code).toBe(2);
    expect((await runSpendflow(['optimize'])).code).toBe(2);
    expect((await runSpendflow(['optimize', '--model', out])).code).toBe(2);
    const notModel = join(dir, 'not-model.json');
    writeFileSync(notModel, JSON.stringify({ format: 'other', channels: {} }));
    const bad = await runSpendflow(['optimize', '--model', notModel, '--budget', '100']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('format');
  });
});

describe('spendflow fit rejects bad input with exit 2', () => {
  it('names the row and column of a negative spend', async () => {
    const lines = readFileSync(csv, 'utf8').split('\n');
    const cells = (lines[5] ?? '').split(',');
    cells[2] = '-50';
    lines[5] = cells.join(',');
    const bad = join(dir, 'negative.csv');
    writeFileSync(bad, lines.join('\n'));
    const out = join(dir, 'never.json');
    const r = await runSpendflow(['fit', bad, ...FLAGS, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('row 6: tv_S');
    expect(r.err).toContain('negative spend');
    expect(existsSync(out)).toBe(false);
  });

  it('names an unknown column', async () => {
    const r = await runSpendflow(['fit', csv, '--date', 'date', '--target', 'revenue', '--channels', 'tv_S,radio_S', '--out', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('radio_S');
  });

  it('needs the file and the required flags', async () => {
    const r = await runSpendflow(['fit', '--date', 'date']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--target');
    expect(r.err).toContain('--out');
    expect((await runSpendflow(['fit', csv, ...FLAGS, '--out', join(dir, 'y.json'), '--holdout', '0.9'])).code).toBe(2);
  });
});

describe('fitRidgeBaseline', () => {
  it('recovers an exactly linear relation and predicts the held-out periods', () => {
    const n = 40;
    const x = Float64Array.from({ length: n }, (_, t) => (t * 37) % 11);
    const target = Float64Array.from({ length: n }, (_, t) => 5 + 2 * t + 3 * (x[t] ?? 0));
    const ridge = fitRidgeBaseline({ target, spend: { x } }, 30, { lambda: 1e-8 });
    for (let t = 30; t < n; t++) expect(ridge.predictions[t]).toBeCloseTo(target[t] ?? 0, 4);
    expect(ridge.features).toEqual(['trend', 'x']);
  });
});
