/**
 * The additive model as a TensorFlow.js graph, on scaled data, for K members at once (the member
 * being a batch dimension: see ./members.ts). Channel tensors are laid out [C, K, T]:
 *
 *   ŷ[k,t] = Σ_p coef[k,p]·B[t,p] + Σ_c β[c,k]·S_k(a[c,k,t]; k[c,k], s[c,k])
 *   a[c,k,t] = Σ_l w[c,k,l]·x[c,t−l]                (one batched matMul per step)
 *   w[c,k,·] = softmax_l(log-weights of member k's adstock family)
 *
 *   geometric:    log w_l = l·log θ                                  (normalised θ^l)
 *   weibull-pdf:  log w_l = (shape − 1)·z_l − e^(shape·z_l),  z_l = ln((l+1)/scale)
 *   weibull-cdf:  log w_l = −Σ_{j=1..l} (j/scale)^shape
 *   hill: sigmoid(s·(ln(a + ε) − ln k)) = aˢ/(aˢ + kˢ);  exp: 1 − e^(−a/k);  log: ln(1 + a/k)
 *
 * exactly the weights of ../adstock.ts (normalised to sum 1, so a steady spend x has adstock x)
 * and the curves of ../curves/registry.ts with β = 1. B holds the linear baseline features: 1,
 * t/(T−1), the Fourier terms and the scaled controls. Parameters are unconstrained variables,
 * mapped into range by ./transforms.ts.
 *
 * Member k's loss is its weighted mean squared error plus Gaussian priors on the unconstrained
 * values (sd from PRIOR_SD, centred on the member's centres, precision × the member's strength)
 * and weak ridges on the linear terms (not the intercept), all scaled by σ²_k/W_k: with the
 * weighted MSE as the data term, that makes them priors of the stated sd whatever the noise
 * level (σ²_k, the member's own MSE at the last linear projection, is a constant for the
 * gradient; W_k = Σ_t ω_kt).
 *
 * `project()` solves every member's linear parameters (baseline coefficients, β ≥ 0) exactly for
 * the current non-linear ones: the normal equations are built as batched tensor products and only
 * the small (P + C)² systems are solved in JavaScript (./linear-projection.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BETA_START, PRIOR_SD, unconstrainedShape, type AdstockFamily, type ChannelShape, type MemberSpec, type SaturationFamily } from './members.ts';
import { solveNormalEquations } from './linear-projection.ts';
import {
  sigmoid,
  softplus,
  softplusInverse,
  WEIBULL_SCALE_MIN,
  WEIBULL_SHAPE_MIN,
  WEIBULL_SHAPE_SPAN,
  weibullScaleFromU,
  weibullScaleSpan,
  weibullShapeFromU,
} from './transforms.ts';

const EPS = 1e-6;
const MIN_BETA = 1e-4;
const MIN_NOISE = 1e-8;

/** Constant inputs, already scaled. */
export interface GraphData {
  /** [T] scaled target. */
  readonly y: Float32Array;
  /** [T, P] baseline features, row-major. */
  readonly features: Float32Array;
  readonly featureCount: number;
  /** [T, C] scaled spend, row-major. */
  readonly spend: Float32Array;
  readonly channels: number;
  readonly periods: number;
  readonly maxLag: number;
  /**
   * Prior precision (1/sd², scaled units) of each baseline coefficient [P]; by default none on the
   * intercept and 1/PRIOR_SD.linear² on the others.
   */
  readonly linearPrecision?: Float32Array;
}

/**
 * The trainable variables: the linear baseline coefficients [K, P] and every per-channel value
 * packed in one [6, C, K, 1] variable (rows in `ROWS` order), so Adam updates two variables per
 * step rather than seven (each op has a fixed cost that dominates at these sizes).
 */
export interface GraphParams {
  readonly coef: tf.Variable<tf.Rank.R2>;
  readonly channel: tf.Variable<tf.Rank.R4>;
}

/** Rows of the packed per-channel variable. */
export const ROWS = ['beta', 'theta', 'weibullShape', 'weibullScale', 'k', 's'] as const;
export type Row = (typeof ROWS)[number];

/** One member's parameters in natural (scaled) units, per channel. */
export interface MemberParameters {
  readonly coef: number[];
  readonly beta: number[];
  readonly theta: number[];
  readonly weibullShape: number[];
  readonly weibullScale: number[];
  readonly k: number[];
  readonly s: number[];
}

export interface Graph {
  readonly params: GraphParams;
  readonly variables: tf.Variable[];
  readonly members: number;
  /** Curve values before β, [C, K, T]. Call inside tf.tidy. */
  mediaFeatures(): tf.Tensor3D;
  /** [K, T] predictions. Call inside tf.tidy. */
  predictions(): tf.Tensor2D;
  /** Per-member weighted MSE [K]. Call inside tf.tidy. */
  memberMse(): tf.Tensor1D;
  /** Per-member loss [K]: weighted MSE + priors. Call inside tf.tidy. */
  memberLoss(): tf.Tensor1D;
  /**
   * Sets each member's σ² to its current weighted MSE and solves its linear parameters exactly.
   * Returns false (and changes nothing for that member) when a member's system is singular.
   */
  project(): boolean;
  read(member: number): MemberParameters;
  /** [K·T] predictions, member-major. */
  readPredictions(): Float32Array;
  dispose(): void;
}

function familyMask<F extends string>(members: readonly MemberSpec[], family: (m: MemberSpec) => F, wanted: F): tf.Tensor3D {
  return tf.tensor3d(Float32Array.from(members, (m) => (family(m) === wanted ? 1 : 0)), [1, members.length, 1]);
}

/** [C, L+1, T]: x shifted down by l periods, zeros before the first period. */
function laggedSpend(data: GraphData): tf.Tensor3D {
  const { periods: T, channels: C, maxLag: L } = data;
  const values = new Float32Array(C * (L + 1) * T);
  for (let c = 0; c < C; c++) {
    for (let l = 0; l <= L; l++) {
      for (let t = l; t < T; t++) values[(c * (L + 1) + l) * T + t] = data.spend[(t - l) * C + c] ?? 0;
    }
  }
  return tf.tensor3d(values, [C, L + 1, T]);
}

/** Observation weights [K, T] and their sums. */
function memberWeights(members: readonly MemberSpec[], periods: number): { weights: Float32Array; sums: number[] } {
  const weights = new Float32Array(members.length * periods);
  const sums = members.map((m, k) => {
    let sum = 0;
    for (let t = 0; t < periods; t++) {
      const w = m.weights === undefined ? 1 : (m.weights[t] ?? 0);
      if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`member ${k}: weight of period ${t} must be a finite number ≥ 0 (got ${w})`);
      weights[k * periods + t] = w;
      sum += w;
    }
    if (!(sum > 0)) throw new RangeError(`member ${k}: every observation weight is 0`);
    return sum;
  });
  return { weights, sums };
}

export function buildGraph(data: GraphData, members: readonly MemberSpec[]): Graph {
  const { periods: T, channels: C, maxLag: L, featureCount: P } = data;
  const K = members.length;
  if (K === 0) throw new RangeError('a graph needs at least one member');
  const N = P + C;
  const { weights: omegaValues, sums } = memberWeights(members, T);
  const adstockFamilies = [...new Set(members.map((m) => m.adstock))];
  const saturationFamilies = [...new Set(members.map((m) => m.saturation))];

  // Per-member constant parts of the normal equations: BᵀΩB [K, P, P] and BᵀΩy [K, P].
  const baseGram = new Float64Array(K * P * P);
  const baseRhs = new Float64Array(K * P);
  for (let k = 0; k < K; k++) {
    for (let t = 0; t < T; t++) {
      const w = omegaValues[k * T + t] ?? 0;
      if (w === 0) continue;
      const yt = data.y[t] ?? 0;
      for (let p = 0; p < P; p++) {
        const bp = (data.features[t * P + p] ?? 0) * w;
        baseRhs[k * P + p] = (baseRhs[k * P + p] ?? 0) + bp * yt;
        for (let q = 0; q < P; q++) baseGram[(k * P + p) * P + q] = (baseGram[(k * P + p) * P + q] ?? 0) + bp * (data.features[t * P + q] ?? 0);
      }
    }
  }

  const centres = members.map((m) => unconstrainedShape(m.centre, L));
  const startOf = (m: MemberSpec, c: number) => {
    const start = m.start ?? m.centre;
    return unconstrainedShape(Array.isArray(start) ? ((start as readonly ChannelShape[])[c] ?? m.centre) : (start as ChannelShape), L);
  };
  const starts = members.map((m) => Array.from({ length: C }, (_, c) => startOf(m, c)));
  /** [6·K] values, row-major over ROWS, one per member. */
  const linearPrecision = data.linearPrecision ?? Float32Array.from({ length: P }, (_, p) => (p === 0 ? 0 : 1 / PRIOR_SD.linear ** 2));
  const rowValues = (value: (row: Row, k: number) => number) =>
    Float32Array.from({ length: ROWS.length * K }, (_, i) => value(ROWS[Math.floor(i / K)] ?? 'beta', i % K));
  const constants = tf.tidy(() => ({
    y: tf.tensor2d(data.y, [1, T]),
    features: tf.tensor2d(data.features, [T, P]),
    lagged: laggedSpend(data),
    omega: tf.tensor2d(omegaValues, [K, T]),
    omegaSum: tf.tensor1d(sums),
    lagRow: tf.reshape(tf.range(0, L + 1, 1, 'float32'), [1, 1, L + 1]),
    logLagPlusOne: tf.reshape(tf.log(tf.range(1, L + 2, 1, 'float32')), [1, 1, L + 1]),
    // log j for j = 1..L, and upTo[j − 1, l] = 1 when j ≤ l: the sums of the Weibull CDF weights.
    logLag: tf.reshape(tf.log(tf.range(1, Math.max(L, 1) + 1, 1, 'float32')), [1, 1, Math.max(L, 1)]),
    upTo: tf.tensor2d(
      Float32Array.from({ length: Math.max(L, 1) * (L + 1) }, (_, i) => (Math.floor(i / (L + 1)) + 1 <= i % (L + 1) ? 1 : 0)),
      [Math.max(L, 1), L + 1],
    ),
    linearPrecision: tf.tensor2d(linearPrecision, [1, P]),
    // Prior centres and precisions per row and member, [6, 1, K, 1]; β has no prior here (a ridge, below).
    centre: tf.tensor4d(rowValues((row, k) => (row === 'beta' ? 0 : (centres[k]?.[row] ?? 0))), [ROWS.length, 1, K, 1]),
    precision: tf.tensor4d(rowValues((row, k) => (row === 'beta' ? 0 : (members[k]?.strength ?? 0) / PRIOR_SD[row] ** 2)), [ROWS.length, 1, K, 1]),
    adstockMask: Object.fromEntries(adstockFamilies.map((f) => [f, familyMask(members, (m) => m.adstock, f)])) as Partial<Record<AdstockFamily, tf.Tensor3D>>,
    saturationMask: Object.fromEntries(saturationFamilies.map((f) => [f, familyMask(members, (m) => m.saturation, f)])) as Partial<Record<SaturationFamily, tf.Tensor3D>>,
  }));
  const noiseVariance = tf.tidy(() => tf.variable(tf.fill([K], 0.01), false));
  const variable = <R extends tf.Rank>(make: () => tf.Tensor<R>): tf.Variable<R> => tf.tidy(() => tf.variable(make(), true));
  // Each member's intercept starts at its weighted mean of y (nothing from a zero-weight period).
  const meanY = members.map((_, k) => {
    let sum = 0;
    for (let t = 0; t < T; t++) sum += (omegaValues[k * T + t] ?? 0) * (data.y[t] ?? 0);
    return sum / (sums[k] ?? 1);
  });
  const channelStart = new Float32Array(ROWS.length * C * K);
  ROWS.forEach((row, r) => {
    for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) channelStart[(r * C + c) * K + k] = row === 'beta' ? BETA_START : (starts[k]?.[c]?.[row] ?? 0);
  });
  const params: GraphParams = {
    coef: variable(() => tf.tensor2d(Float32Array.from({ length: K * P }, (_, i) => (i % P === 0 ? (meanY[Math.floor(i / P)] ?? 0) : 0)), [K, P])),
    channel: variable(() => tf.tensor4d(channelStart, [ROWS.length, C, K, 1])),
  };
  const variables: tf.Variable[] = [params.coef, params.channel];
  /** The packed rows as [C, K, 1] tensors. Call inside tf.tidy. */
  const rows = (): Record<Row, tf.Tensor3D> => {
    const parts = tf.unstack(params.channel) as tf.Tensor3D[];
    return Object.fromEntries(ROWS.map((row, r) => [row, parts[r]])) as Record<Row, tf.Tensor3D>;
  };
  const scaleSpan = weibullScaleSpan(L);

  function logWeights(u: Record<Row, tf.Tensor3D>): tf.Tensor3D {
    const parts: tf.Tensor3D[] = [];
    for (const family of adstockFamilies) {
      const mask = constants.adstockMask[family];
      if (mask === undefined) continue;
      let logW: tf.Tensor3D;
      if (family === 'geometric') {
        // l·log θ, log θ = −softplus(−u) (tf.logSigmoid's custom gradient loses its input after tf.unstack)
        logW = tf.mul(constants.lagRow, tf.neg(tf.softplus(tf.neg(u.theta))));
      } else {
        const shape = tf.add(WEIBULL_SHAPE_MIN, tf.mul(WEIBULL_SHAPE_SPAN, tf.sigmoid(u.weibullShape)));
        const logScale = tf.log(tf.add(WEIBULL_SCALE_MIN, tf.mul(scaleSpan, tf.sigmoid(u.weibullScale))));
        if (family === 'weibull-pdf') {
          const z = tf.sub(constants.logLagPlusOne, logScale); // [C, K, L+1]
          logW = tf.sub(tf.mul(tf.sub(shape, 1), z), tf.exp(tf.mul(shape, z)));
        } else {
          const terms = tf.exp(tf.mul(shape, tf.sub(constants.logLag, logScale))); // [C, K, L]
          const width = Math.max(L, 1);
          const summed = tf.matMul(tf.reshape(terms, [C * K, width]), constants.upTo); // [C·K, L+1]
          logW = tf.neg(tf.reshape(summed, [C, K, L + 1]));
        }
      }
      parts.push(adstockFamilies.length === 1 ? logW : tf.mul(mask, logW));
    }
    return parts.length === 1 ? (parts[0] as tf.Tensor3D) : (tf.addN(parts) as tf.Tensor3D);
  }

  function mediaFeatures(u: Record<Row, tf.Tensor3D> = rows()): tf.Tensor3D {
    const weights = tf.softmax(logWeights(u)); // [C, K, L+1]
    const adstock = tf.matMul(weights, constants.lagged); // [C, K, T]
    const parts: tf.Tensor3D[] = [];
    for (const family of saturationFamilies) {
      const mask = constants.saturationMask[family];
      if (mask === undefined) continue;
      let h: tf.Tensor3D;
      if (family === 'hill') h = tf.sigmoid(tf.mul(tf.exp(u.s), tf.sub(tf.log(tf.add(adstock, EPS)), u.k))) as tf.Tensor3D;
      else if (family === 'exp') h = tf.sub(1, tf.exp(tf.neg(tf.mul(adstock, tf.exp(tf.neg(u.k)))))) as tf.Tensor3D;
      else h = tf.log1p(tf.mul(adstock, tf.exp(tf.neg(u.k)))) as tf.Tensor3D;
      parts.push(saturationFamilies.length === 1 ? h : tf.mul(mask, h));
    }
    return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor3D;
  }

  function predictions(u: Record<Row, tf.Tensor3D> = rows()): tf.Tensor2D {
    const baseline = tf.matMul(params.coef, constants.features, false, true); // [K, T]
    const media = tf.sum(tf.mul(tf.softplus(u.beta), mediaFeatures(u)), 0); // [K, T]
    return tf.add(baseline, media);
  }

  function memberMse(u: Record<Row, tf.Tensor3D> = rows()): tf.Tensor1D {
    const squared = tf.mul(constants.omega, tf.square(tf.sub(predictions(u), constants.y)));
    return tf.div(tf.sum(squared, 1), constants.omegaSum);
  }

  function penalty(u: Record<Row, tf.Tensor3D>): tf.Tensor1D {
    const priors = tf.sum(tf.mul(tf.square(tf.sub(params.channel, constants.centre)), constants.precision), [0, 1, 3]); // [K]
    const linear = tf.sum(tf.mul(tf.square(params.coef), constants.linearPrecision), 1);
    const beta = tf.mul(tf.sum(tf.square(tf.softplus(u.beta)), [0, 2]), 1 / PRIOR_SD.beta ** 2);
    return tf.div(tf.mul(tf.addN([priors, linear, beta]), noiseVariance), constants.omegaSum);
  }

  function project(): boolean {
    const noise = tf.tidy(() => Array.from(memberMse().dataSync(), (v) => Math.max(v, MIN_NOISE)));
    tf.tidy(() => noiseVariance.assign(tf.tensor1d(noise)));
    const [cross, mediaGram, mediaRhs] = tf.tidy(() => {
      const h = mediaFeatures(); // [C, K, T]
      const hw = tf.mul(h, constants.omega); // [C, K, T]
      const crossT = tf.matMul(tf.reshape(hw, [C * K, T]), constants.features); // [C·K, P]
      const gram = tf.matMul(tf.transpose(hw, [1, 0, 2]), tf.transpose(h, [1, 0, 2]), false, true); // [K, C, C]
      const rhs = tf.sum(tf.mul(hw, constants.y), 2); // [C, K]
      return [crossT.dataSync(), gram.dataSync(), rhs.dataSync()];
    });
    const coefValues = params.coef.dataSync();
    const channelValues = params.channel.dataSync();
    const betaValues = Float32Array.from({ length: C * K }, (_, i) => softplus(channelValues[i] ?? 0));
    const coef = Float32Array.from(coefValues);
    const beta = Float32Array.from(betaValues);
    let allSolved = true;
    const gram = new Float64Array(N * N);
    const rhs = new Float64Array(N);
    const ridge = new Float64Array(N);
    for (let k = 0; k < K; k++) {
      const sigma2 = noise[k] ?? 0;
      for (let p = 0; p < P; p++) {
        rhs[p] = baseRhs[k * P + p] ?? 0;
        for (let q = 0; q < P; q++) gram[p * N + q] = baseGram[(k * P + p) * P + q] ?? 0;
        ridge[p] = sigma2 * (linearPrecision[p] ?? 0) + 1e-9;
      }
      for (let c = 0; c < C; c++) {
        rhs[P + c] = mediaRhs[c * K + k] ?? 0;
        ridge[P + c] = sigma2 / PRIOR_SD.beta ** 2 + 1e-9;
        for (let p = 0; p < P; p++) {
          const v = cross[(c * K + k) * P + p] ?? 0;
          gram[(P + c) * N + p] = v;
          gram[p * N + P + c] = v;
        }
        for (let d = 0; d < C; d++) gram[(P + c) * N + P + d] = mediaGram[(k * C + c) * C + d] ?? 0;
      }
      const solved = solveNormalEquations({ gram, rhs, featureCount: P, channels: C, ridge });
      if (solved === null) {
        allSolved = false;
        continue;
      }
      for (let p = 0; p < P; p++) coef[k * P + p] = solved.coef[p] ?? 0;
      for (let c = 0; c < C; c++) beta[c * K + k] = solved.beta[c] ?? 0;
    }
    const packed = Float32Array.from(channelValues);
    beta.forEach((b, i) => (packed[i] = softplusInverse(Math.max(b, MIN_BETA))));
    tf.tidy(() => {
      params.coef.assign(tf.tensor2d(coef, [K, P]));
      params.channel.assign(tf.tensor4d(packed, [ROWS.length, C, K, 1]));
    });
    return allSolved;
  }

  function read(member: number): MemberParameters {
    const values = params.channel.dataSync();
    const column = (row: Row) => Array.from({ length: C }, (_, c) => values[(ROWS.indexOf(row) * C + c) * K + member] ?? Number.NaN);
    const coefValues = params.coef.dataSync();
    return {
      coef: Array.from({ length: P }, (_, p) => coefValues[member * P + p] ?? Number.NaN),
      beta: column('beta').map(softplus),
      theta: column('theta').map(sigmoid),
      weibullShape: column('weibullShape').map(weibullShapeFromU),
      weibullScale: column('weibullScale').map((u) => weibullScaleFromU(u, L)),
      k: column('k').map(Math.exp),
      s: column('s').map(Math.exp),
    };
  }

  return {
    params,
    variables,
    members: K,
    mediaFeatures: () => mediaFeatures(),
    predictions: () => predictions(),
    memberMse: () => memberMse(),
    memberLoss: () => {
      const u = rows();
      return tf.add(memberMse(u), penalty(u));
    },
    project,
    read,
    readPredictions: () => tf.tidy(() => Float32Array.from(predictions().dataSync())),
    dispose() {
      tf.dispose(constants as unknown as tf.TensorContainer);
      tf.dispose(variables);
      noiseVariance.dispose();
    },
  };
}
