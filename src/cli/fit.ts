/**
 * `spendflow fit data.csv --date D --target Y --channels a,b [--controls c,d] --out model.json`:
 * the batch fit of the response model from a history file.
 *
 * 1. read and prepare the history (../model/data): every problem at once, exit 2;
 * 2. fit it with ../model/fit/fit-history.ts: rolling-origin cross-validation of the
 *    hyperparameters inside the training periods (on by default; `--no-cv` turns it off), a
 *    hold-out score on the last `--holdout` share of the periods next to the ridge baseline, a
 *    refit on every period (unless `--no-refit`) and a Bayesian-bootstrap ensemble for intervals
 *    (`--bootstrap N`, 0 turns it off);
 * 3. write model.json (spendflow-model/2) atomically (tmp + rename) and print a summary, or the
 *    whole report as JSON with `--json`.
 *
 * Progress goes to stderr, counted in optimizer steps: a bar when stderr is a terminal, plain
 * lines (one per ~10%) otherwise; `--quiet` silences it.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SpendflowError } from '../errors.ts';
import { parseCsv } from '../model/data/csv.ts';
import { prepareHistory } from '../model/data/prepare-history.ts';
import { DEFAULT_GRID, type Grid } from '../model/fit/cross-validation.ts';
import { defaultSeasonality } from '../model/fit/features.ts';
import { FALLBACK_CANDIDATE, fitHistory, HISTORY_FIT_DEFAULTS } from '../model/fit/fit-history.ts';
import { ADSTOCK_FAMILIES, SATURATION_FAMILIES, type AdstockFamily, type SaturationFamily } from '../model/fit/members.ts';
import { buildModelFile, type ModelFile } from '../model/fit/model-file.ts';
import { maxSpendPerChannel } from '../model/fit/response-curve.ts';
import type { CliIo } from './index.ts';
import { Progress } from './progress.ts';

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

function integerFlag(name: string, raw: string | undefined, fallback: number, min: number): number {
  return raw === undefined ? fallback : numberFlag(name, raw, (v) => Number.isInteger(v) && v >= min, `an integer ≥ ${min}`);
}

function familyFlag<F extends string>(name: string, raw: string, families: readonly F[], fallback: readonly F[]): readonly F[] {
  if (raw === 'auto') return families;
  if ((families as readonly string[]).includes(raw)) return [raw as F];
  if (raw === '') return fallback;
  throw new SpendflowError('INPUT_INVALID', `--${name} must be one of ${[...families, 'auto'].join(', ')} (got "${raw}")`);
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
  const h = m.holdout;
  const lines = [
    `fitted ${Object.keys(m.channels).length} channels on ${m.periods} ${m.frequency} periods (${m.refit === 'all-data' ? 'refit on all data' : 'train-only fit saved'}); wrote ${report.out}`,
    `model: ${m.training.adstock} adstock, ${m.training.saturation} curves, prior strength ${m.training.priorStrength}`,
    '',
    `hold-out (last ${h.periods} periods):  model NRMSE ${fmt(h.nrmse)}  MAPE ${fmt(h.mape)}  R² ${fmt(h.r2)}`,
    `                                 ridge NRMSE ${fmt(h.ridgeNrmse)}  MAPE ${fmt(h.ridgeMape)}  R² ${fmt(h.ridgeR2)}  (λ=${h.ridgeLambda})`,
  ];
  if (h.ridgeCv !== null) lines.push(`                                 ridge NRMSE ${fmt(h.ridgeCv.nrmse)}  MAPE ${fmt(h.ridgeCv.mape)}  R² ${fmt(h.ridgeCv.r2)}  (λ=${h.ridgeCv.lambda}, chosen by the same CV)`);
  const level = m.uncertainty === null ? '' : ` (${Math.round(100 * m.uncertainty.level)}% interval)`;
  lines.push(
    '',
    `${'channel'.padEnd(16)}${'spend'.padStart(14)}${'contribution'.padStart(16)}${'roi'.padStart(8)}${`roi interval${level}`.padStart(30)}${'mROI'.padStart(8)}${'spend%'.padStart(8)}${'effect%'.padStart(9)}`,
  );
  for (const [id, c] of Object.entries(m.channels)) {
    const share = m.shares[id];
    const band = c.intervals === null ? 'n/a' : `[${fmt(c.intervals.roi.lower, 2)}, ${fmt(c.intervals.roi.upper, 2)}]`;
    lines.push(
      `${id.padEnd(16)}${money(c.spend).padStart(14)}${money(c.contribution).padStart(16)}${fmt(c.roi, 2).padStart(8)}${band.padStart(30)}${fmt(c.marginalRoi, 2).padStart(8)}` +
        `${fmt(100 * (share?.spendShare ?? 0), 1).padStart(8)}${fmt(100 * (share?.effectShare ?? 0), 1).padStart(9)}`,
    );
  }
  if (m.uncertainty !== null) {
    const e = m.uncertainty.expectedRevenue;
    lines.push('', `expected revenue per period at the recent spend (${money(e.spendPerPeriod)}): ${money(e.total.median)} [${money(e.total.lower)}, ${money(e.total.upper)}], of which media ${money(e.media.median)} [${money(e.media.lower)}, ${money(e.media.upper)}]`);
  }
  const cv = m.crossValidation;
  if (cv !== null) {
    lines.push('', `cross-validation (${cv.folds.length} rolling-origin folds inside the training periods, ${cv.members} members in one batch): mean validation NRMSE`);
    for (const c of cv.candidates) {
      const chosen = c.adstock === cv.chosen.adstock && c.saturation === cv.chosen.saturation && c.strength === cv.chosen.strength;
      lines.push(`  ${chosen ? '*' : ' '} ${c.adstock}/${c.saturation} strength ${String(c.strength).padEnd(5)} ${fmt(c.meanNrmse)}  folds ${c.folds.map((f) => fmt(f.nrmse)).join(' ')}`);
    }
  } else {
    lines.push('', 'cross-validation: off');
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
      'cv-steps': { type: 'string' },
      'bootstrap-steps': { type: 'string' },
      bootstrap: { type: 'string' },
      seed: { type: 'string' },
      adstock: { type: 'string', default: '' },
      curve: { type: 'string', default: '' },
      'prior-strength': { type: 'string' },
      cv: { type: 'boolean', default: true },
      'no-cv': { type: 'boolean', default: false },
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
  const d = HISTORY_FIT_DEFAULTS;
  const holdoutShare = numberFlag('holdout', values.holdout, (v) => v > 0 && v < 0.5, 'a number in (0, 0.5)');
  const steps = integerFlag('steps', values.steps, d.steps, 1);
  const cvSteps = integerFlag('cv-steps', values['cv-steps'], d.cvSteps, 1);
  const bootstrapSteps = integerFlag('bootstrap-steps', values['bootstrap-steps'], d.bootstrapSteps, 1);
  const bootstrap = integerFlag('bootstrap', values.bootstrap, d.bootstrap, 0);
  const seed = integerFlag('seed', values.seed, d.seed, 0);
  const strengths = values['prior-strength'] === undefined ? DEFAULT_GRID.strength : [numberFlag('prior-strength', values['prior-strength'], (v) => v >= 0, 'a number ≥ 0')];
  const adstock = familyFlag<AdstockFamily>('adstock', values.adstock, ADSTOCK_FAMILIES, DEFAULT_GRID.adstock);
  const saturation = familyFlag<SaturationFamily>('curve', values.curve, SATURATION_FAMILIES, DEFAULT_GRID.saturation);
  const grid: Grid = { ...DEFAULT_GRID, adstock, saturation, strength: strengths };
  const crossValidation = values.cv && !values['no-cv'];
  if (!crossValidation && (adstock.length > 1 || saturation.length > 1)) {
    throw new SpendflowError('INPUT_INVALID', '--adstock auto and --curve auto need cross-validation (drop --no-cv)');
  }
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
  const trainPeriods = n - Math.max(2, Math.round(n * holdoutShare));
  if (trainPeriods < 10) {
    throw new SpendflowError('INPUT_INVALID', `too little history: ${n} periods leave ${trainPeriods} to train on after the hold-out (need at least 10)`);
  }

  const progress = new Progress(io, 'fit', 'steps', values.quiet);
  const fit = await fitHistory(
    { target: history.target, spend: history.spend, controls: history.controls },
    {
      seasonality: defaultSeasonality(history.frequency),
      holdoutShare,
      crossValidation,
      grid,
      candidate: { ...FALLBACK_CANDIDATE, adstock: adstock[0] ?? 'geometric', saturation: saturation[0] ?? 'hill', strength: strengths[0] ?? FALLBACK_CANDIDATE.strength },
      cvSteps,
      steps,
      bootstrapSteps,
      bootstrap,
      seed,
      refit: !values['no-refit'],
      onProgress: (done, total, stage) => progress.update(done, total, stage),
    },
  );
  if (crossValidation && fit.crossValidation === null) progress.note('too little history for cross-validation; skipped');
  const model = buildModelFile({ fit, frequency: history.frequency, periodMs: history.periodMs, maxObservedSpend: maxSpendPerChannel(history.spend) });
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
