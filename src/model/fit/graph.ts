/**
 * The additive model as a TensorFlow.js graph, on scaled data, for K members at once.
 *
 *   ŷ[k,t] = Σ_p coef[k,p]·B[t,p] + Σ_c β[k,c]·hill(a[k,t,c]; K[k,c], s[k,c])
 *   a[k,t,c] = Σ_l w[k,l,c]·x[t−l,c],   w[k,l,c] = θ[k,c]^l / Σ_m θ[k,c]^m   (l = 0..L)
 *   hill(a; K, s) = aˢ/(aˢ + Kˢ) = sigmoid(s·(ln(a + ε) − ln K))
 *
 * B holds the linear baseline features: 1, t/(T−1), the Fourier terms and the scaled controls.
 * The sigmoid form of the Hill curve is exact for a > 0, smooth, and 0 (to ~ε^s) at zero spend;
 * θ^l is exp(l·log-sigmoid(u)), so the adstock weights are differentiable in θ everywhere.
 *
 * Parameters are unconstrained variables of shape [K, ·]; the constrained values are
 *   β = softplus(uβ), K = softplus(uK), s = softplus(us), θ = sigmoid(uθ).
 *
 * Weak priors, as Gaussian priors on the unconstrained values, centre and standard deviation τ:
 *   uθ → logit(0.3)            τ = 1.5   (moderate carry-over)
 *   uK → softplus⁻¹(1)         τ = 1.5   (half-saturation near the channel's typical spend)
 *   us → softplus⁻¹(1)         τ = 1.5   (a concave Hill curve)
 *   uβ → softplus⁻¹(0.5)       τ = 1.5   (a channel worth half the mean revenue at saturation)
 *   trend, Fourier, controls → 0   τ = 3 (scaled units); the intercept is not penalised.
 * With the MSE as the data term, a prior of sd τ is the penalty σ²/(T·τ²)·(u − centre)², where σ²
 * is the noise variance. σ² is not known, so each member carries an estimate (its own MSE, set
 * from outside with `setNoiseVariance`, e.g. at every linear projection) that is a constant for
 * the gradient. A fixed penalty weight would instead make the prior stronger the cleaner the data
 * (measured: weight 1e-4 pulled ROI by 10–30% at 2% noise); scaled by σ² it stays as weak as τ says.
 * `priorStrength` multiplies every 1/τ² (0 turns the priors off).
 */
import * as tf from '@tensorflow/tfjs-core';

export const PRIOR = {
  theta: 0.3,
  k: 1,
  s: 1,
  beta: 0.5,
  sd: 1.5,
  linearSd: 3,
} as const;

/** Member m starts from the m-th entry (cycling), so members explore different basins. */
const STARTS = [
  { theta: 0.3, k: 1, s: 1.5 },
  { theta: 0.6, k: 2, s: 1 },
  { theta: 0.1, k: 0.5, s: 2 },
  { theta: 0.8, k: 1.5, s: 1.2 },
] as const;

const EPS = 1e-6;
const MIN_BETA = 1e-4;

export function softplusInverse(y: number): number {
  return y > 30 ? y : Math.log(Math.expm1(y));
}

export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

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
}

export interface GraphParams {
  readonly coef: tf.Variable<tf.Rank.R2>; // [K, P]
  readonly uBeta: tf.Variable<tf.Rank.R2>; // [K, C]
  readonly uK: tf.Variable<tf.Rank.R2>; // [K, C]
  readonly uS: tf.Variable<tf.Rank.R2>; // [K, C]
  readonly uTheta: tf.Variable<tf.Rank.R2>; // [K, C]
}

export interface Graph {
  readonly params: GraphParams;
  /** Hill values [K, T, C] (the media features before β). Call inside tf.tidy. */
  hillValues(): tf.Tensor3D;
  /** Overwrites the linear parameters: coef [K·P] and β [K·C] (constrained, clipped to ≥ 1e-4). */
  setLinear(coef: Float32Array, beta: Float32Array): void;
  /** Sets each member's noise-variance estimate σ² [K] that scales its prior penalty. */
  setNoiseVariance(values: readonly number[]): void;
  /** Per-member loss [K]: MSE + penalty. Call inside tf.tidy. */
  memberLoss(): tf.Tensor1D;
  /** Per-member MSE [K]. Call inside tf.tidy. */
  memberMse(): tf.Tensor1D;
  dispose(): void;
}

function filled(members: number, width: number, value: (m: number, j: number) => number): tf.Tensor2D {
  const values = new Float32Array(members * width);
  for (let m = 0; m < members; m++) for (let j = 0; j < width; j++) values[m * width + j] = value(m, j);
  return tf.tensor2d(values, [members, width]);
}

/** [L+1, T, C]: x shifted down by l periods, zeros before the first period. */
function laggedSpend(data: GraphData): tf.Tensor3D {
  const { periods: T, channels: C, maxLag: L } = data;
  const values = new Float32Array((L + 1) * T * C);
  for (let l = 0; l <= L; l++) {
    for (let t = l; t < T; t++) {
      for (let c = 0; c < C; c++) values[(l * T + t) * C + c] = data.spend[(t - l) * C + c] ?? 0;
    }
  }
  return tf.tensor3d(values, [L + 1, T, C]);
}

export function buildGraph(data: GraphData, members: number, interceptStart: number, priorStrength = 1): Graph {
  const { periods: T, channels: C, maxLag: L, featureCount: P } = data;
  const y = tf.tensor2d(data.y, [1, T]);
  const features = tf.tensor2d(data.features, [T, P]);
  const lagged = tf.tidy(() => tf.reshape(laggedSpend(data), [1, L + 1, T, C]));
  const lags = tf.tidy(() => tf.reshape(tf.range(0, L + 1, 1, 'float32'), [1, L + 1, 1]));
  const noiseVariance = tf.tidy(() => tf.variable(tf.fill([members], 0.01), false));
  const variable = (init: () => tf.Tensor2D): tf.Variable<tf.Rank.R2> => tf.tidy(() => tf.variable(init(), true));
  const start = (m: number) => STARTS[m % STARTS.length] ?? STARTS[0];

  const params: GraphParams = {
    coef: variable(() => filled(members, P, (_m, p) => (p === 0 ? interceptStart : 0))),
    uBeta: variable(() => filled(members, C, () => softplusInverse(PRIOR.beta))),
    uK: variable(() => filled(members, C, (m) => softplusInverse(start(m).k))),
    uS: variable(() => filled(members, C, (m) => softplusInverse(start(m).s))),
    uTheta: variable(() => filled(members, C, (m) => logit(start(m).theta))),
  };
  // Prior centres and which linear coefficients are penalised (all but the intercept).
  const linearMask = tf.tensor2d(Array.from({ length: P }, (_, p) => (p === 0 ? 0 : 1)), [1, P]);
  const centres = {
    uBeta: softplusInverse(PRIOR.beta),
    uK: softplusInverse(PRIOR.k),
    uS: softplusInverse(PRIOR.s),
    uTheta: logit(PRIOR.theta),
  };

  /** Hill values hill(adstock) per member, period and channel: [K, T, C]. */
  function hillValues(): tf.Tensor3D {
    // (typed as 3-D: the product below broadcasts [K, L+1, 1, C] × [1, L+1, T, C] and sums a lag axis)
    const { uK, uS, uTheta } = params;
    // Adstock weights [K, L+1, 1, C] from θ, normalised over the lags.
    const logTheta = tf.reshape(tf.logSigmoid(uTheta), [members, 1, C]);
    const raw = tf.exp(tf.mul(lags, logTheta)); // [K, L+1, C]
    const weights = tf.div(raw, tf.sum(raw, 1, true));
    const adstock = tf.sum(tf.mul(tf.reshape(weights, [members, L + 1, 1, C]), lagged), 1); // [K, T, C]
    const logK = tf.reshape(tf.log(tf.softplus(uK)), [members, 1, C]);
    const s = tf.reshape(tf.softplus(uS), [members, 1, C]);
    return tf.sigmoid(tf.mul(s, tf.sub(tf.log(tf.add(adstock, EPS)), logK))) as tf.Tensor3D;
  }

  function predictions(): tf.Tensor2D {
    const { coef, uBeta } = params;
    const baseline = tf.matMul(coef, features, false, true); // [K, T]
    const hill = hillValues();
    const beta = tf.reshape(tf.softplus(uBeta), [members, 1, C]);
    const media = tf.sum(tf.mul(beta, hill), 2); // [K, T]
    return tf.add(baseline, media);
  }

  function memberMse(): tf.Tensor1D {
    return tf.mean(tf.square(tf.sub(predictions(), y)), 1);
  }

  function penalty(): tf.Tensor1D {
    const { coef, uBeta, uK, uS, uTheta } = params;
    const towards = (v: tf.Tensor2D, centre: number) => tf.sum(tf.square(tf.sub(v, centre)), 1);
    const nonlinear = tf.addN([
      towards(uBeta, centres.uBeta),
      towards(uK, centres.uK),
      towards(uS, centres.uS),
      towards(uTheta, centres.uTheta),
    ]);
    const linear = tf.sum(tf.mul(tf.square(coef), linearMask), 1);
    const weighted = tf.add(tf.mul(nonlinear, 1 / PRIOR.sd ** 2), tf.mul(linear, 1 / PRIOR.linearSd ** 2));
    return tf.mul(weighted, tf.mul(noiseVariance, priorStrength / T));
  }

  return {
    params,
    hillValues,
    setLinear(coef: Float32Array, beta: Float32Array) {
      tf.tidy(() => {
        params.coef.assign(tf.tensor2d(coef, [members, P]));
        const uBeta = Float32Array.from(beta, (b) => softplusInverse(Math.max(b, MIN_BETA)));
        params.uBeta.assign(tf.tensor2d(uBeta, [members, C]));
      });
    },
    setNoiseVariance(values: readonly number[]) {
      tf.tidy(() => noiseVariance.assign(tf.tensor1d(values.map((v) => Math.max(v, 1e-8)))));
    },
    memberMse,
    memberLoss: () => tf.add(memberMse(), penalty()),
    dispose() {
      tf.dispose([y, features, lagged, lags, linearMask]);
      tf.dispose(Object.values(params));
      noiseVariance.dispose();
    },
  };
}

/** Reads the constrained parameters of member m. */
export function readMember(graph: Graph, m: number, channels: number): {
  coef: number[];
  beta: number[];
  k: number[];
  s: number[];
  theta: number[];
} {
  return tf.tidy(() => {
    const { coef, uBeta, uK, uS, uTheta } = graph.params;
    const row = (t: tf.Tensor) => Array.from(tf.slice(t, [m, 0], [1, -1]).dataSync());
    const result = {
      coef: row(coef),
      beta: row(tf.softplus(uBeta)),
      k: row(tf.softplus(uK)),
      s: row(tf.softplus(uS)),
      theta: row(tf.sigmoid(uTheta)),
    };
    if (result.beta.length !== channels) throw new Error('member parameters have the wrong width');
    return result;
  });
}
