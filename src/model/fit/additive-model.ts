/**
 * Batch fit of the additive response model with TensorFlow.js autodiff and Adam:
 *
 *   y_t = intercept + trend·t + Σ Fourier(period)_t + Σ_j γ_j·control_jt
 *         + Σ_i β_i·hill(adstock_i(x_i)_t; k_i, s_i) + ε_t
 *
 * with geometric adstock (decay θ_i, max lag L, normalised, so a steady spend x gives adstock x
 * and the steady-state curve is hill(x)). The fit runs on scaled data (../data/scale.ts: target
 * and spend divided by their mean non-zero value, controls likewise) and converts the result back
 * to raw units. The graph, the parameter transforms and the priors are in ./graph.ts.
 *
 * K members start from different points (./graph.ts) and are fitted as one batch dimension; the
 * member with the lowest final loss is kept. Adam runs `steps` steps: the first 70% at
 * `learningRate`, the rest at a fifth of it to settle. Every `projectEvery` steps (and once at
 * the start and the end) the parameters the model is linear in — the baseline coefficients and
 * the β — are solved exactly for the current θ, k, s (./linear-projection.ts), which Adam alone
 * approaches very slowly along the intercept-versus-β ridge; each member's MSE at that moment is
 * also its noise-variance estimate for the priors. Every tensor is freed before returning.
 *
 * Pure apart from the backend start-up: no clock, no randomness, deterministic for a backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SpendflowError, type FieldProblem } from '../../errors.ts';
import { curveDerivative } from '../curves/registry.ts';
import { scaleFactor } from '../data/scale.ts';
import { ensureBackend } from './backend.ts';
import { fourierTerms, fourierValue } from './features.ts';
import { buildGraph, PRIOR, readMember, type GraphData } from './graph.ts';
import { projectLinear } from './linear-projection.ts';
import { decompose } from './predict.ts';
import { rmse } from './metrics.ts';
import type { FitData, FitOptions, FittedChannel, FittedModel, FittedSeasonality } from './types.ts';

export const FIT_DEFAULTS = {
  steps: 1500,
  learningRate: 0.05,
  maxLag: 8,
  members: 4,
  recentPeriods: 8,
  recordEvery: 50,
  projectEvery: 10,
} as const;

function problemsWith(data: FitData, channelNames: readonly string[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const n = data.target.length;
  if (n < 3) problems.push({ field: 'target', message: `needs at least 3 periods (got ${n})` });
  if (channelNames.length === 0) problems.push({ field: 'spend', message: 'needs at least one channel' });
  const check = (field: string, values: Float64Array, nonNegative: boolean) => {
    if (values.length !== n) problems.push({ field, message: `has ${values.length} periods, the target ${n}` });
    const bad = values.findIndex((v) => !Number.isFinite(v) || (nonNegative && v < 0));
    if (bad >= 0) problems.push({ field, message: `period ${bad}: ${values[bad]} is not ${nonNegative ? 'a finite number ≥ 0' : 'finite'}` });
  };
  check('target', data.target, false);
  for (const name of channelNames) check(`spend.${name}`, data.spend[name] ?? new Float64Array(0), true);
  data.controls?.names.forEach((name, j) => check(`controls.${name}`, data.controls?.values[j] ?? new Float64Array(0), false));
  return problems;
}

function optionError(name: string, message: string, value: number): SpendflowError {
  return new SpendflowError('INPUT_INVALID', `invalid fit option ${name}`, { problems: [{ field: name, message: `${message} (got ${value})` }] });
}

function integerAtLeast(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw optionError(name, `must be an integer ≥ ${min}`, value);
  return value;
}

function positiveInteger(name: string, value: number): number {
  return integerAtLeast(name, value, 1);
}

function nonNegativeNumber(name: string, value: number, strict: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (strict && value === 0)) throw optionError(name, strict ? 'must be a number > 0' : 'must be a number ≥ 0', value);
  return value;
}

/** Fits the model to `data` (see the module comment). */
export async function fitAdditiveModel(data: FitData, options: FitOptions = {}): Promise<FittedModel> {
  const steps = positiveInteger('steps', options.steps ?? FIT_DEFAULTS.steps);
  const members = positiveInteger('members', options.members ?? FIT_DEFAULTS.members);
  const maxLag = integerAtLeast('maxLag', options.maxLag ?? FIT_DEFAULTS.maxLag, 0);
  const recentPeriods = positiveInteger('recentPeriods', options.recentPeriods ?? FIT_DEFAULTS.recentPeriods);
  const recordEvery = positiveInteger('recordEvery', options.recordEvery ?? FIT_DEFAULTS.recordEvery);
  const learningRate = nonNegativeNumber('learningRate', options.learningRate ?? FIT_DEFAULTS.learningRate, true);
  const priorStrength = nonNegativeNumber('priorStrength', options.priorStrength ?? 1, false);
  const projectEvery = positiveInteger('projectEvery', options.projectEvery ?? FIT_DEFAULTS.projectEvery);
  const seasonality = options.seasonality ?? [];
  const channelNames = Object.keys(data.spend);
  const problems = problemsWith(data, channelNames);
  if (problems.length > 0) throw new SpendflowError('INPUT_INVALID', 'invalid data for the fit', { problems });

  const T = data.target.length;
  const C = channelNames.length;
  const controlNames = data.controls?.names ?? [];
  const controlValues = data.controls?.values ?? [];
  const terms = fourierTerms(seasonality);
  const P = 2 + terms.length + controlNames.length;

  const targetScale = scaleFactor(data.target);
  const spendScales = channelNames.map((name) => scaleFactor(data.spend[name] ?? []));
  const controlScales = controlValues.map((values) => scaleFactor(values));

  const features = new Float32Array(T * P);
  const spend = new Float32Array(T * C);
  const y = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    const row = t * P;
    features[row] = 1;
    features[row + 1] = t / (T - 1);
    terms.forEach((term, j) => (features[row + 2 + j] = fourierValue(term, t)));
    controlValues.forEach((values, j) => (features[row + 2 + terms.length + j] = (values[t] ?? 0) / (controlScales[j] ?? 1)));
    channelNames.forEach((name, c) => (spend[t * C + c] = (data.spend[name]?.[t] ?? 0) / (spendScales[c] ?? 1)));
    y[t] = (data.target[t] ?? 0) / targetScale;
  }
  const graphData: GraphData = { y, features, featureCount: P, spend, channels: C, periods: T, maxLag };

  const backend = await ensureBackend();
  const meanY = y.reduce((sum, v) => sum + v, 0) / T;
  const graph = buildGraph(graphData, members, meanY / 2, priorStrength);
  const varList = Object.values(graph.params);
  // Ridge of the linear solve on the summed squared error: σ²/τ² for the baseline terms other than
  // the intercept (their prior, see ./graph.ts) and, as a mere stabiliser, for β; ~0 for the intercept.
  const ridgeFor = (noiseVariance: number) =>
    Array.from({ length: P + C }, (_, j) => (j === 0 ? 1e-9 : (noiseVariance * priorStrength) / PRIOR.linearSd ** 2 + 1e-9));
  const history: number[][] = [];
  const record = () => history.push(Array.from(tf.tidy(() => graph.memberLoss().dataSync())));
  let finalLosses: number[];
  let finalMse: number[];
  let member: ReturnType<typeof readMember>;
  try {
    const settleFrom = Math.round(steps * 0.7);
    const phases = [
      { rate: learningRate, from: 0, to: settleFrom },
      { rate: learningRate / 5, from: settleFrom, to: steps },
    ];
    const project = () => {
      const noise = Array.from(tf.tidy(() => graph.memberMse().dataSync()));
      graph.setNoiseVariance(noise);
      const hill = tf.tidy(() => graph.hillValues().dataSync());
      const coef = new Float32Array(members * P);
      const beta = new Float32Array(members * C);
      for (let m = 0; m < members; m++) {
        const solved = projectLinear({
          features,
          featureCount: P,
          media: hill.subarray(m * T * C, (m + 1) * T * C),
          channels: C,
          y,
          periods: T,
          ridge: ridgeFor(noise[m] ?? 0),
        });
        if (solved === null) return; // keep Adam's values this round
        coef.set(solved.coef, m * P);
        beta.set(solved.beta, m * C);
      }
      graph.setLinear(coef, beta);
    };
    record();
    project();
    for (const phase of phases) {
      const optimizer = tf.train.adam(phase.rate);
      try {
        for (let step = phase.from; step < phase.to; step++) {
          optimizer.minimize(() => tf.sum(graph.memberLoss()), false, varList);
          if ((step + 1) % projectEvery === 0) project();
          if ((step + 1) % recordEvery === 0) record();
        }
      } finally {
        optimizer.dispose();
      }
    }
    project();
    finalLosses = Array.from(tf.tidy(() => graph.memberLoss().dataSync()));
    finalMse = Array.from(tf.tidy(() => graph.memberMse().dataSync()));
    const best = finalLosses.reduce((bestIndex, loss, m) => (loss < (finalLosses[bestIndex] ?? Infinity) ? m : bestIndex), 0);
    member = readMember(graph, best, C);
    const invalid = [...finalLosses, ...member.beta, ...member.k, ...member.s, ...member.theta, ...member.coef].some((v) => !Number.isFinite(v));
    if (invalid) throw new SpendflowError('INTERNAL', 'the fit diverged (non-finite parameters)');
    return finish(best);
  } finally {
    graph.dispose();
  }

  function finish(best: number): FittedModel {
    const coefficient = (p: number) => (member.coef[p] ?? 0) * targetScale;
    const fittedSeasonality: FittedSeasonality[] = seasonality.map((block) => ({ period: block.period, order: block.order, sin: [], cos: [] }));
    terms.forEach((term, j) => {
      const blockIndex = seasonality.findIndex((b) => b.period === term.period);
      const block = fittedSeasonality[blockIndex];
      if (block) (term.kind === 'sin' ? (block.sin as number[]) : (block.cos as number[])).push(coefficient(2 + j));
    });
    const draft: FittedModel = {
      kind: 'additive-hill-geometric',
      periods: T,
      intercept: coefficient(0),
      trend: coefficient(1) / (T - 1),
      seasonality: fittedSeasonality,
      controls: controlNames.map((name, j) => ({ name, coefficient: coefficient(2 + terms.length + j) / (controlScales[j] ?? 1) })),
      channels: channelNames.map((name, c): FittedChannel => ({
        name,
        curve: {
          type: 'hill',
          beta: (member.beta[c] ?? 0) * targetScale,
          k: (member.k[c] ?? 0) * (spendScales[c] ?? 1),
          s: member.s[c] ?? 1,
        },
        adstock: { type: 'geometric', theta: member.theta[c] ?? 0, maxLag, normalize: true },
        contribution: 0,
        spend: 0,
        roi: 0,
        recentSpend: 0,
        marginalRoi: 0,
      })),
      training: {
        backend,
        steps,
        learningRate,
        members,
        member: best,
        memberLosses: finalLosses,
        lossHistory: history.map((losses) => losses[best] ?? Number.NaN),
        mse: finalMse[best] ?? Number.NaN,
        rmse: 0,
      },
    };
    const parts = decompose(draft, data);
    const channels = draft.channels.map((channel): FittedChannel => {
      const series = data.spend[channel.name] ?? new Float64Array(0);
      const contribution = (parts.channels[channel.name] ?? new Float64Array(0)).reduce((sum, v) => sum + v, 0);
      const spent = series.reduce((sum, v) => sum + v, 0);
      const recent = series.subarray(Math.max(0, series.length - recentPeriods));
      const recentSpend = recent.reduce((sum, v) => sum + v, 0) / Math.max(1, recent.length);
      return {
        ...channel,
        contribution,
        spend: spent,
        roi: spent > 0 ? contribution / spent : 0,
        recentSpend,
        marginalRoi: curveDerivative(channel.curve, recentSpend),
      };
    });
    return { ...draft, channels, training: { ...draft.training, rmse: rmse(data.target, parts.total) } };
  }
}
