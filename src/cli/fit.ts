/**
 * `spendflow fit data.csv --date D --target Y --channels a,b [--controls c,d] --out model.json`:
 * the batch fit of the response model from a history file.
 *
 * 1. read and prepare the history (../model/data): every problem at once, exit 2;
 * 2. optionally (`--cv`) rolling-origin cross-validation of the prior strength inside the
 *    training periods: 3 folds × priorStrength ∈ {0.3, 1, 3};
 * 3. fit on the first (1 − holdout) of the periods and score the rest with `predict` (MAPE,
 *    NRMSE, R²), next to a ridge regression on the same features (../model/fit/ridge-baseline.ts);
 * 4. refit on every period (unless `--no-refit`) and write model.json atomically (tmp + rename).
 *
 * Progress goes to stderr: a bar when stdout is a terminal, plain lines otherwise. It advances
 * when each fit finishes (counted in optimizer steps): the fit itself reports no progress.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SpendflowError } from '../errors.ts';
import { parseCsv } from '../model/data/csv.ts';
import { prepareHistory, type PreparedHistory } from '../model/data/prepare-history.ts';
import { FIT_DEFAULTS, fitAdditiveModel } from '../model/fit/additive-model.ts';
import { defaultSeasonality } from '../model/fit/features.ts';
import { mape, nrmse, r2 } from '../model/fit/metrics.ts';
import {
  buildModelFile,
  type CrossValidationFold,
  type CrossValidationReport,
  type HoldoutReport,
  type ModelFile,
} from '../model/fit/model-file.ts';
import { predict } from '../model/fit/predict.ts';
import { fitRidgeBaseline, RIDGE_DEFAULT_LAMBDA } from '../model/fit/ridge-baseline.ts';
import type { FitData, FitOptions } from '../model/fit/types.ts';
import type { CliIo } from './index.ts';

const CV_PRIOR_STRENGTHS = [0.3, 1, 3] as const;
const CV_FOLDS = 3;

/** The first `periods` periods of the history as fit data. */
function head(history: PreparedHistory, periods: number): FitData {
  const cut = (values: Float64Array) => values.subarray(0, periods);
  return {
    target: cut(history.target),
    spend: Object.fromEntries(Object.entries(history.spend).map(([name, values]) => [name, cut(values)])),
    controls: { names: history.controls.names, values: history.controls.values.map(cut) },
  };
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function numberFlag(name: string, raw: string, check: (v: number) => boolean, rule: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || !check(v)) throw new SpendflowError('INPUT_INVALID', `--${name} must be ${rule} (got "${raw}")`);
  return v;
}

/** Progress on stderr, in optimizer steps: a redrawn bar on a terminal, a line per ~10% otherwise. */
class Progress {
  private done = 0;
  private lastDecile = -1;
  constructor(
    private readonly io: CliIo,
    private readonly total: number,
    private readonly tty: boolean,
    private readonly quiet: boolean,
  ) {}

  stage(label: string): void {
    if (this.quiet) return;
    if (this.tty) this.draw(label);
    else this.io.stderr.write(`fit: ${label}…\n`);
  }

  advance(steps: number, label: string): void {
    this.done = Math.min(this.total, this.done + steps);
    if (this.quiet) return;
    if (this.tty) {
      this.draw(label);
      if (this.done >= this.total) this.io.stderr.write('\n');
      return;
    }
    const decile = Math.floor((10 * this.done) / this.total);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.io.stderr.write(`fit: ${Math.round((100 * this.done) / this.total)}% (${this.done}/${this.total} steps) ${label}\n`);
    }
  }

  private draw(label: string): void {
    const width = 30;
    const filled = Math.round((width * this.done) / this.total);
    this.io.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} steps  ${label.padEnd(40)}`);
  }
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw new SpendflowError('INPUT_INVALID', `cannot write ${path}: ${(err as Error).message}`);
  }
}

const fmt = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const money = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');

function summary(report: FitReport): string {
  const m = report.model;
  const lines = [
    `fitted ${Object.keys(m.channels).length} channels on ${m.periods} ${m.frequency} periods (${m.refit === 'all-data' ? 'refit on all data' : 'train-only fit saved'}); wrote ${report.out}`,
    '',
    `hold-out (last ${m.holdout.periods} periods):  model NRMSE ${fmt(m.holdout.nrmse)}  MAPE ${fmt(m.holdout.mape)}  R² ${fmt(m.holdout.r2)}`,
    `                                 ridge NRMSE ${fmt(m.holdout.ridgeNrmse)}  MAPE ${fmt(m.holdout.ridgeMape)}  R² ${fmt(m.holdout.ridgeR2)}  (λ=${m.holdout.ridgeLambda})`,
    '',
    `${'channel'.padEnd(16)}${'spend'.padStart(14)}${'contribution'.padStart(16)}${'roi'.padStart(8)}${'mROI'.padStart(8)}${'spend%'.padStart(8)}${'effect%'.padStart(9)}`,
  ];
  for (const [id, c] of Object.entries(m.channels)) {
    const share = m.shares[id];
    lines.push(
      `${id.padEnd(16)}${money(c.spend).padStart(14)}${money(c.contribution).padStart(16)}${fmt(c.roi, 2).padStart(8)}${fmt(c.marginalRoi, 2).padStart(8)}` +
        `${fmt(100 * (share?.spendShare ?? 0), 1).padStart(8)}${fmt(100 * (share?.effectShare ?? 0), 1).padStart(9)}`,
    );
  }
  if (m.crossValidation !== null) {
    const cv = m.crossValidation;
    const means = CV_PRIOR_STRENGTHS.map((p) => `${p}: ${fmt(cv.meanNrmse[String(p)] ?? Number.NaN)}`).join(', ');
    lines.push('', `cross-validation (${CV_FOLDS} rolling-origin folds): mean NRMSE by priorStrength ${means}; chose ${m.crossValidation.chosen.priorStrength}`);
  }
  lines.push('', `${report.seconds.toFixed(1)} s`);
  return lines.join('\n');
}

interface FitReport {
  readonly out: string;
  readonly seconds: number;
  readonly rows: { readonly input: number; readonly kept: number; readonly dropped: readonly { row: number; reason: string }[]; readonly imputed: number };
  readonly model: ModelFile;
}

export async function fitCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const started = performance.now();
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      date: { type: 'string' },
      target: { type: 'string' },
      channels: { type: 'string' },
      controls: { type: 'string' },
      missing: { type: 'string', default: 'drop' },
      holdout: { type: 'string', default: '0.2' },
      steps: { type: 'string' },
      members: { type: 'string' },
      'prior-strength': { type: 'string' },
      cv: { type: 'boolean', default: false },
      'no-refit': { type: 'boolean', default: false },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  const usage = 'usage: spendflow fit data.csv --date COLUMN --target COLUMN --channels A,B,... --out model.json';
  const missingFlags = (['date', 'target', 'channels', 'out'] as const).filter((name) => values[name] === undefined || values[name] === '');
  if (file === undefined || positionals.length > 1 || missingFlags.length > 0) {
    throw new SpendflowError('INPUT_INVALID', usage, {
      problems: [
        ...(file === undefined || positionals.length > 1 ? [{ field: 'data.csv', message: 'give exactly one history file' }] : []),
        ...missingFlags.map((name) => ({ field: `--${name}`, message: 'is required' })),
      ],
    });
  }
  if (values.missing !== 'drop' && values.missing !== 'impute') throw new SpendflowError('INPUT_INVALID', `--missing must be drop or impute (got "${values.missing}")`);
  const holdoutShare = numberFlag('holdout', values.holdout, (v) => v > 0 && v < 0.5, 'a number in (0, 0.5)');
  const steps = values.steps === undefined ? FIT_DEFAULTS.steps : numberFlag('steps', values.steps, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  const members = values.members === undefined ? FIT_DEFAULTS.members : numberFlag('members', values.members, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
  const fixedPrior = values['prior-strength'] === undefined ? undefined : numberFlag('prior-strength', values['prior-strength'], (v) => v >= 0, 'a number ≥ 0');
  if (fixedPrior !== undefined && values.cv) throw new SpendflowError('INPUT_INVALID', '--prior-strength and --cv exclude each other (--cv chooses it)');
  const out = values.out ?? '';

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpendflowError('INPUT_INVALID', `cannot read ${file}: ${(err as Error).message}`);
  }
  const history = prepareHistory(parseCsv(text), {
    date: values.date ?? '',
    target: values.target ?? '',
    channels: list(values.channels),
    controls: list(values.controls),
    missing: values.missing,
  });
  const n = history.target.length;
  const holdoutPeriods = Math.max(2, Math.round(n * holdoutShare));
  const trainPeriods = n - holdoutPeriods;
  if (trainPeriods < 10) {
    throw new SpendflowError('INPUT_INVALID', `too little history: ${n} periods leave ${trainPeriods} to train on after the hold-out (need at least 10)`);
  }

  const seasonality = defaultSeasonality(history.frequency);
  const base: FitOptions = { steps, members, seasonality };
  const cvSteps = Math.max(1, Math.round(steps / 2));
  const cvMembers = Math.max(1, Math.min(2, members));
  const foldLength = Math.max(2, Math.round(trainPeriods * 0.1));
  const cvOn = values.cv && trainPeriods - CV_FOLDS * foldLength >= 10;
  const refit = !values['no-refit'];
  const total = (cvOn ? CV_FOLDS * CV_PRIOR_STRENGTHS.length * cvSteps : 0) + steps * (refit ? 2 : 1);
  const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const progress = new Progress(io, total, tty, values.quiet);
  if (values.cv && !cvOn) io.stderr.write('fit: too little history for cross-validation; skipped\n');

  let priorStrength = fixedPrior ?? 1;
  let crossValidation: CrossValidationReport | null = null;
  if (cvOn) {
    const folds: CrossValidationFold[] = [];
    for (let f = 0; f < CV_FOLDS; f++) {
      const origin = trainPeriods - (CV_FOLDS - f) * foldLength;
      const window = head(history, origin + foldLength);
      for (const strength of CV_PRIOR_STRENGTHS) {
        progress.stage(`cv fold ${f + 1}/${CV_FOLDS}, priorStrength ${strength}`);
        const model = await fitAdditiveModel(head(history, origin), { ...base, steps: cvSteps, members: cvMembers, priorStrength: strength });
        const predicted = predict(model, window).subarray(origin);
        folds.push({ fold: f + 1, trainPeriods: origin, validationPeriods: foldLength, priorStrength: strength, nrmse: nrmse(window.target.subarray(origin), predicted) });
        progress.advance(cvSteps, `cv fold ${f + 1}/${CV_FOLDS}, priorStrength ${strength}`);
      }
    }
    const meanNrmse = Object.fromEntries(
      CV_PRIOR_STRENGTHS.map((strength) => {
        const errors = folds.filter((fold) => fold.priorStrength === strength).map((fold) => fold.nrmse);
        return [String(strength), errors.reduce((s, v) => s + v, 0) / errors.length];
      }),
    );
    priorStrength = CV_PRIOR_STRENGTHS.reduce((best, strength) => ((meanNrmse[String(strength)] ?? Infinity) < (meanNrmse[String(best)] ?? Infinity) ? strength : best), 1);
    crossValidation = { folds, meanNrmse, chosen: { priorStrength }, steps: cvSteps };
  }

  progress.stage(`fitting ${trainPeriods} training periods`);
  const trainModel = await fitAdditiveModel(head(history, trainPeriods), { ...base, priorStrength });
  progress.advance(steps, 'hold-out fit done');
  const all = head(history, n);
  const actual = history.target.subarray(trainPeriods);
  const predicted = predict(trainModel, all).subarray(trainPeriods);
  const ridge = fitRidgeBaseline(all, trainPeriods, { seasonality, lambda: RIDGE_DEFAULT_LAMBDA });
  const ridgePredicted = ridge.predictions.subarray(trainPeriods);
  const holdout: HoldoutReport = {
    share: holdoutShare,
    trainPeriods,
    periods: holdoutPeriods,
    mape: mape(actual, predicted),
    nrmse: nrmse(actual, predicted),
    r2: r2(actual, predicted),
    ridgeNrmse: nrmse(actual, ridgePredicted),
    ridgeMape: mape(actual, ridgePredicted),
    ridgeR2: r2(actual, ridgePredicted),
    ridgeLambda: ridge.lambda,
  };

  let finalModel = trainModel;
  if (refit) {
    progress.stage(`refitting on all ${n} periods`);
    finalModel = await fitAdditiveModel(all, { ...base, priorStrength });
    progress.advance(steps, 'refit done');
  }
  const maxObservedSpend = Object.fromEntries(Object.entries(history.spend).map(([name, values]) => [name, values.reduce((m, v) => Math.max(m, v), 0)]));
  const model = buildModelFile({
    model: finalModel,
    frequency: history.frequency,
    periodMs: history.periodMs,
    refit: refit ? 'all-data' : 'train-only',
    maxObservedSpend,
    holdout,
    priorStrength,
    crossValidation,
  });
  writeAtomically(out, JSON.stringify(model, null, 2) + '\n');

  const report: FitReport = {
    out,
    seconds: (performance.now() - started) / 1000,
    rows: { input: history.report.inputRows, kept: history.report.rows, dropped: history.report.droppedRows, imputed: history.report.imputed.length },
    model,
  };
  io.stdout.write((values.json ? JSON.stringify(report, null, 2) : summary(report)) + '\n');
  return 0;
}
