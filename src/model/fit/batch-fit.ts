/**
 * One batched fit: every member of ./members.ts fitted at once on one graph (./graph.ts), by Adam
 * on the sum of the members' losses (members do not interact, so the sum's gradient is each
 * member's own), with the linear parameters solved exactly at the start (after the first loss is
 * recorded), every `projectEvery`
 * steps and at the end. The first 70% of the steps run at `learningRate`, the rest at a fifth of
 * it to settle. Every tensor is freed before returning.
 *
 * Pure apart from the backend start-up: no clock, no randomness, deterministic for a backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SpendflowError } from '../../errors.ts';
import { ensureBackend } from './backend.ts';
import { buildGraph, type GraphData, type MemberParameters } from './graph.ts';
import type { MemberSpec } from './members.ts';

export interface BatchFitOptions {
  readonly steps: number;
  readonly learningRate: number;
  readonly projectEvery: number;
  /** Losses are recorded every this many steps (default 50). */
  readonly recordEvery?: number;
  /** Called after every step with the number of steps done. */
  readonly onStep?: (done: number) => void;
}

export interface MemberFit {
  readonly params: MemberParameters;
  /** Final loss: weighted MSE + priors (scaled units). */
  readonly loss: number;
  /** Final weighted MSE (scaled units). */
  readonly mse: number;
  /** Loss every `recordEvery` steps, first to last. */
  readonly lossHistory: readonly number[];
}

export interface BatchFit {
  readonly backend: string;
  readonly members: readonly MemberFit[];
  /** Scaled predictions for every member and period, [K·T] member-major. */
  readonly predictions: Float32Array;
}

export async function fitBatch(data: GraphData, members: readonly MemberSpec[], options: BatchFitOptions): Promise<BatchFit> {
  const backend = await ensureBackend();
  const graph = buildGraph(data, members);
  const K = members.length;
  const recordEvery = options.recordEvery ?? 50;
  const history: number[][] = [];
  const record = () => history.push(Array.from(tf.tidy(() => graph.memberLoss().dataSync())));
  try {
    const settleFrom = Math.round(options.steps * 0.7);
    const phases = [
      { rate: options.learningRate, from: 0, to: settleFrom },
      { rate: options.learningRate / 5, from: settleFrom, to: options.steps },
    ];
    record();
    graph.project();
    for (const phase of phases) {
      if (phase.to <= phase.from) continue;
      const optimizer = tf.train.adam(phase.rate);
      try {
        for (let step = phase.from; step < phase.to; step++) {
          optimizer.minimize(() => tf.sum(graph.memberLoss()), false, graph.variables);
          if ((step + 1) % options.projectEvery === 0) graph.project();
          if ((step + 1) % recordEvery === 0) record();
          options.onStep?.(step + 1);
        }
      } finally {
        optimizer.dispose();
      }
    }
    graph.project();
    const losses = Array.from(tf.tidy(() => graph.memberLoss().dataSync()));
    const mse = Array.from(tf.tidy(() => graph.memberMse().dataSync()));
    const fits = Array.from({ length: K }, (_, k): MemberFit => ({
      params: graph.read(k),
      loss: losses[k] ?? Number.NaN,
      mse: mse[k] ?? Number.NaN,
      lossHistory: history.map((row) => row[k] ?? Number.NaN),
    }));
    return { backend, members: fits, predictions: graph.readPredictions() };
  } finally {
    graph.dispose();
  }
}

/** True when a member's loss and parameters are all finite. */
export function isFiniteFit(fit: MemberFit): boolean {
  const p = fit.params;
  return [fit.loss, ...p.coef, ...p.beta, ...p.k, ...p.s, ...p.theta, ...p.weibullShape, ...p.weibullScale].every((v) => Number.isFinite(v));
}

export function divergedError(): SpendflowError {
  return new SpendflowError('INTERNAL', 'the fit diverged (non-finite parameters)');
}
