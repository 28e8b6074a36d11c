/**
 * The batch fit's data in and model out. `FittedModel` is plain data (numbers, strings, arrays):
 * it round-trips through JSON unchanged and carries everything `predict` needs, in raw units.
 */
import type { GeometricAdstock, WeibullAdstock } from '../adstock.ts';
import type { CurveSpec } from '../curves/types.ts';
import type { AdstockFamily, SaturationFamily } from './members.ts';

/** Aligned series, one value per period; `PreparedHistory` from ../data fits this shape. */
export interface FitData {
  readonly target: Float64Array;
  readonly spend: Readonly<Record<string, Float64Array>>;
  readonly controls?: {
    readonly names: readonly string[];
    readonly values: readonly Float64Array[];
    /**
     * Indicator columns that encode one categorical control (by index into `names`). The model
     * pools their effects: each level's effect is the control's shared effect plus a level
     * deviation shrunk towards 0, so a level seen rarely — or never, in the training periods —
     * borrows the effect of the control's other levels instead of counting as no effect at all.
     */
    readonly groups?: readonly ControlGroup[];
  };
}

export interface ControlGroup {
  readonly name: string;
  readonly columns: readonly number[];
}

/** One Fourier block: `order` sine/cosine pairs of the given period (in periods). */
export interface SeasonalitySpec {
  readonly period: number;
  readonly order: number;
}

export interface FitOptions {
  /** Adam steps (default 1500). */
  readonly steps?: number;
  /** Adam learning rate for the first 70% of the steps; the rest run at a fifth of it (default 0.05). */
  readonly learningRate?: number;
  /** Longest adstock lag in periods (default 8). */
  readonly maxLag?: number;
  /** Fourier blocks of the baseline (default: none; see `defaultSeasonality`). */
  readonly seasonality?: readonly SeasonalitySpec[];
  /** Multi-start members fitted together as one batch dimension (default 4; the best is kept). */
  readonly members?: number;
  /** Periods at the end over which the recent average spend (for marginal ROI) is taken (default 8). */
  readonly recentPeriods?: number;
  /** The linear parameters (baseline, β) are solved exactly every this many steps (default 10). */
  readonly projectEvery?: number;
  /** Multiplies every prior precision on the non-linear parameters (default 1; 0 turns them off). */
  readonly priorStrength?: number;
  /** Loss is recorded every this many steps (default 50). */
  readonly recordEvery?: number;
  /** Adstock family (default geometric). */
  readonly adstock?: AdstockFamily;
  /** Saturation curve family (default hill). */
  readonly saturation?: SaturationFamily;
}

/** Normalised adstock as fitted: a steady spend x has adstock x. */
export type FittedAdstock = (GeometricAdstock & { readonly maxLag: number; readonly normalize: true }) | WeibullAdstock;

export interface FittedChannel {
  readonly name: string;
  /** Steady-state response in raw units: constant spend x per period → revenue per period. */
  readonly curve: CurveSpec;
  readonly adstock: FittedAdstock;
  /** Σ over the data of the channel's modelled revenue. */
  readonly contribution: number;
  /** Σ over the data of the channel's spend. */
  readonly spend: number;
  /** contribution / spend (0 when nothing was spent). */
  readonly roi: number;
  /** Average spend over the last `recentPeriods` periods. */
  readonly recentSpend: number;
  /** d curve / dx at `recentSpend`. */
  readonly marginalRoi: number;
}

export interface FittedSeasonality extends SeasonalitySpec {
  /** Coefficient of sin(2π·h·t/period) for h = 1..order, raw units. */
  readonly sin: readonly number[];
  /** Coefficient of cos(2π·h·t/period) for h = 1..order, raw units. */
  readonly cos: readonly number[];
}

export interface FittedModel {
  readonly kind: 'additive';
  /** Periods the model was fitted on; period index t counts from the first of them. */
  readonly periods: number;
  /** Baseline revenue per period at t = 0 with every control at 0. */
  readonly intercept: number;
  /** Baseline change per period. */
  readonly trend: number;
  readonly seasonality: readonly FittedSeasonality[];
  readonly controls: readonly { readonly name: string; readonly coefficient: number }[];
  readonly channels: readonly FittedChannel[];
  readonly training: {
    readonly backend: string;
    readonly steps: number;
    readonly learningRate: number;
    readonly members: number;
    /** Which member was kept (the lowest final loss). */
    readonly member: number;
    /** Final loss of every member: scaled weighted MSE + prior penalty. */
    readonly memberLosses: readonly number[];
    /** The kept member's loss every `recordEvery` steps, first to last. */
    readonly lossHistory: readonly number[];
    /** Scaled MSE of the kept member (no penalty). */
    readonly mse: number;
    /** Root-mean-square error in raw target units, from `predict` on the training data. */
    readonly rmse: number;
  };
}
