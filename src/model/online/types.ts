/**
 * The online response model's inputs, options and state. The state is plain data (numbers,
 * strings, arrays, null): it round-trips through JSON unchanged, so it can be snapshotted and
 * restored (issue 5 puts it on a compacted Kafka topic) and the next update carries on from it.
 *
 * Units inside the state are scaled: revenue by `revenueScale`, each channel's spend by its
 * `spendScale` (its reference budget). Curves handed out (./response.ts) are in money again.
 */

/** One closed bucket as the model sees it. Channels left out of `spend` spent nothing. */
export interface ModelBucket {
  /** Bucket start, epoch ms. */
  readonly start: number;
  /** All revenue of the bucket (attributed or not). */
  readonly revenue: number;
  readonly spend: Readonly<Record<string, number>>;
  /** Revenue of sales events that named a channel, by channel id. */
  readonly attributedRevenue?: Readonly<Record<string, number>>;
}

export interface DriftOptions {
  /** Detect changes in the response (residual CUSUM) and cut the memory of what changed. */
  readonly enabled: boolean;
  /** CUSUM alarm level, in standard deviations of the one-step-ahead error (e.g. 8). */
  readonly threshold: number;
}

export interface OnlineModelOptions {
  /** Bucket length, ms: the period of the curves and of the seasonality terms. */
  readonly bucketMs: number;
  /** Most recent buckets kept for replay. */
  readonly windowBuckets: number;
  /** Exponential forgetting: a bucket this many buckets old weighs half as much as the newest. */
  readonly halfLifeBuckets: number;
  /** ROI each channel is assumed to have at its reference spend before data says otherwise. */
  readonly priorRoi: number;
  /** Strength of the pull towards the prior ROI: the prior sd of β is β₀/√priorPrecision; 0 = none. */
  readonly priorPrecision: number;
  /** Gauss–Newton steps on the curve shapes (adstock decay, k, s) per update. */
  readonly shapeSteps: number;
  readonly drift: DriftOptions;
}

/** Where a block's regression target comes from. */
export type BlockTarget =
  /** The bucket's revenue minus what is attributed to channels modelled on their own. */
  | { readonly kind: 'unattributed' }
  /** The revenue attributed to one channel. */
  | { readonly kind: 'attributed'; readonly channel: string };

/** A detected change in a block's response, and the memory cut it caused. */
export interface DriftEvent {
  /** Bucket start where the change is estimated to have begun (the CUSUM run's first bucket). */
  readonly onset: number;
  /** Bucket start at which it was detected. */
  readonly detectedAt: number;
  /** What the change is attributed to: 'baseline' and/or channel ids. */
  readonly components: readonly string[];
  /** Whether the response came out higher or lower than predicted. */
  readonly direction: 'up' | 'down';
  /** CUSUM statistic at the alarm. */
  readonly statistic: number;
  /** Per component, the prior variance of its coefficient's jump at the onset (scaled units). */
  readonly jumpVariance: readonly number[];
  /** Bucket start from which the component counts as settled again; null while adapting. */
  readonly settledAt: number | null;
  /** Mean error since the onset relative to the prediction (−0.12: revenue 12% below the model). */
  readonly shift: number;
  /** Each component's coefficient at detection (scaled), to compare with what is re-learnt. */
  readonly before: readonly number[];
}

export interface DriftState {
  /** Upper and lower CUSUM of the standardised one-step-ahead errors. */
  readonly upper: number;
  readonly lower: number;
  /** Bucket start where the current upper (lower) excursion began; null when at 0. */
  readonly upperSince: number | null;
  readonly lowerSince: number | null;
  /** Consecutive quiet buckets since the last alarm (for settling). */
  readonly quiet: number;
  /** Events whose onset is still inside the window, oldest first. */
  readonly events: readonly DriftEvent[];
  /** Alarms raised since the model started (never decreases). */
  readonly detections: number;
}

/** A linear regression over the window: baseline terms and the β of its channels. */
export interface BlockState {
  readonly target: BlockTarget;
  /** Indices into the model's channels, in column order after the baseline terms. */
  readonly channels: readonly number[];
  /** Posterior mean of [baseline terms…, β…] (scaled). */
  readonly mean: readonly number[];
  /** Information (precision × σ²) matrix, row-major, of the same parameters. */
  readonly information: readonly number[];
  /** Prior mean of the parameters. */
  readonly priorMean: readonly number[];
  /** Residual variance estimate σ² (scaled). */
  readonly noiseVariance: number;
  /** One-step-ahead error y − ŷ of every window row, scaled (null before the block could predict). */
  readonly innovations: readonly (number | null)[];
  /** Its predictive standard deviation (null likewise). */
  readonly innovationSd: readonly (number | null)[];
  readonly drift: DriftState;
}

/** One row of the replay window (raw money). */
export interface WindowRow {
  readonly start: number;
  readonly revenue: number;
  /** Spend per channel, in the model's channel order. */
  readonly spend: readonly number[];
  /** Attributed revenue per channel, in channel order (0 where none). */
  readonly attributed: readonly number[];
}

export interface OnlineModelState {
  readonly format: 'spendflow-online/1';
  readonly channels: readonly string[];
  readonly bucketMs: number;
  /** Calendar cycles of the baseline's Fourier terms (fixed at creation). */
  readonly season: readonly { readonly periodMs: number; readonly order: number }[];
  readonly revenueScale: number;
  readonly spendScale: readonly number[];
  /** Unconstrained shape parameters per channel: logit θ (adstock decay), ln k, ln s (Hill). */
  readonly shape: {
    readonly logitTheta: readonly number[];
    readonly logK: readonly number[];
    readonly logS: readonly number[];
    /**
     * Per channel, the covariance of (logit θ, ln k, ln s), row-major 3×3: the Laplace
     * approximation joint with the linear coefficients (./joint-uncertainty.ts), marginalised.
     */
    readonly covariance: readonly (readonly number[])[];
    /** Per channel, Cov(β, (logit θ, ln k, ln s)), scaled units. */
    readonly betaCross: readonly (readonly number[])[];
    /** Per channel, what the shape's uncertainty adds to Var(β), scaled units. */
    readonly betaExtraVariance: readonly number[];
  };
  /**
   * The shapes the next update starts from: `shape` after the update's Gauss–Newton step, which
   * is taken after the linear solve (so the blocks stay consistent with `shape`).
   */
  readonly nextShape: { readonly logitTheta: readonly number[]; readonly logK: readonly number[]; readonly logS: readonly number[] };
  readonly blocks: readonly BlockState[];
  readonly window: readonly WindowRow[];
  /** Buckets absorbed since the model started. */
  readonly updates: number;
  /** Start of the last bucket absorbed. */
  readonly lastBucket: number | null;
}
