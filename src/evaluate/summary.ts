/**
 * The evaluation report from the runs: per policy, the share of the dynamic oracle's revenue over
 * the whole run (the mean of the portfolios' shares, and per portfolio), its media part, and —
 * when the market changes at some point — the share after the change and how long until the
 * policy is back at 95% of the post-change oracle for RECOVERED_HOURS hours in a row (from the
 * change, for every policy alike; for spendflow also from the first period its post-alarm
 * allocation was in effect). A run that never gets back is counted as not recovered, not dropped.
 */
import type { EvaluationRuns, PeriodSeries, RunResult } from './evaluate.ts';

export interface Stat {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Consecutive periods at ≥ 95% of the oracle that count as recovered. */
export const RECOVERED_HOURS = 3;

/** Periods until recovery over runs × portfolios, and how many never recovered within the run. */
export interface Recovery {
  readonly periods: Stat | null;
  readonly recovered: number;
  readonly cases: number;
}

export interface DetectionReport {
  /** Runs × portfolios in which a change was detected at or after the change day. */
  readonly detected: number;
  readonly cases: number;
  /** Hours from the change to its first detection. */
  readonly delayHours: Stat | null;
  /**
   * Reoptimization cycles from the first period the post-alarm allocation is in effect until
   * RECOVERED_HOURS periods in a row earn ≥ 95% of the oracle's revenue (and media revenue).
   */
  readonly cyclesTo95: Recovery | null;
  readonly mediaCyclesTo95: Recovery | null;
  /** Detections before the truth first changes (every detection in a stationary market), per run and portfolio. */
  readonly falseAlarms: Stat;
  /** All detections per run and portfolio. */
  readonly detections: Stat;
}

export interface PolicyReport {
  readonly policy: string;
  /** Per seed, the mean over portfolios of Σ revenue / Σ oracle revenue over the run. */
  readonly share: Stat;
  /** The same for the media part (revenue above the baseline, which no allocation changes). */
  readonly mediaShare: Stat;
  readonly portfolios: Readonly<Record<string, { readonly share: Stat; readonly mediaShare: Stat }>>;
  /** From the change day on (null without a change); `mediaRecovery` counts periods from the change. */
  readonly afterChange: { readonly share: Stat; readonly mediaShare: Stat; readonly mediaRecovery: Recovery } | null;
  readonly detection: DetectionReport | null;
}

export interface EvaluationReport {
  readonly scenario: string;
  readonly days: number;
  readonly seeds: number;
  readonly portfolios: readonly string[];
  readonly changeDay: number | null;
  readonly policies: readonly PolicyReport[];
}

export function stat(values: readonly number[]): Stat {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { mean: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { mean: finite.reduce((s, v) => s + v, 0) / finite.length, min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

function sum(values: Float64Array, from = 0): number {
  let s = 0;
  for (let i = from; i < values.length; i++) s += values[i]!;
  return s;
}

/** The mean over portfolios of each one's Σ policy / Σ oracle (currencies are never added up). */
function pooledShare(run: RunResult, oracle: RunResult, portfolios: readonly string[], part: keyof PeriodSeries, from = 0): number {
  let total = 0;
  for (const id of portfolios) total += sum(run.portfolios[id]![part], from) / sum(oracle.portfolios[id]![part], from);
  return total / portfolios.length;
}

/** Periods from `fromPeriod` until RECOVERED_HOURS in a row earn ≥ 95% of the oracle's; NaN if never. */
function cyclesTo95(run: PeriodSeries, oracle: PeriodSeries, part: keyof PeriodSeries, fromPeriod: number): number {
  let streak = 0;
  for (let p = fromPeriod; p < run[part].length; p++) {
    streak = run[part][p]! >= 0.95 * oracle[part][p]! ? streak + 1 : 0;
    if (streak === RECOVERED_HOURS) return p - RECOVERED_HOURS + 1 - fromPeriod;
  }
  return Number.NaN;
}

function recovery(values: readonly number[]): Recovery {
  const recovered = values.filter(Number.isFinite).length;
  return { periods: recovered > 0 ? stat(values) : null, recovered, cases: values.length };
}

function detectionReport(runs: readonly RunResult[], oracleOf: (seed: number) => RunResult, evaluation: EvaluationRuns): DetectionReport {
  const changeAt = evaluation.changeDay === null ? Infinity : evaluation.start + evaluation.changeDay * 86_400_000;
  // Alarms before the truth changes at all are false; a market drifting from day 0 has none.
  const firstChangeAt = evaluation.firstEffectDay === null ? Infinity : evaluation.start + evaluation.firstEffectDay * 86_400_000;
  const delays: number[] = [];
  const cycles: number[] = [];
  const mediaCycles: number[] = [];
  const falseAlarms: number[] = [];
  const counts: number[] = [];
  let detected = 0;
  let cases = 0;
  for (const run of runs) {
    const oracle = oracleOf(run.seed);
    for (const id of evaluation.portfolios) {
      const times = run.detections[id] ?? [];
      falseAlarms.push(times.filter((t) => t < firstChangeAt).length);
      counts.push(times.length);
      if (!Number.isFinite(changeAt)) continue;
      cases++;
      const first = times.find((t) => t >= changeAt);
      if (first === undefined) continue;
      detected++;
      delays.push((first - changeAt) / 3_600_000);
      // The alarm's own period ran on the old allocation: the reaction is in effect from the next.
      const period = Math.floor((first - evaluation.start) / evaluation.bucketMs) + 1;
      cycles.push(cyclesTo95(run.portfolios[id]!, oracle.portfolios[id]!, 'revenue', period));
      mediaCycles.push(cyclesTo95(run.portfolios[id]!, oracle.portfolios[id]!, 'media', period));
    }
  }
  return {
    detected,
    cases,
    delayHours: delays.length > 0 ? stat(delays) : null,
    cyclesTo95: cycles.length > 0 ? recovery(cycles) : null,
    mediaCyclesTo95: mediaCycles.length > 0 ? recovery(mediaCycles) : null,
    falseAlarms: stat(falseAlarms),
    detections: stat(counts),
  };
}

export function summarise(evaluation: EvaluationRuns): EvaluationReport {
  const oracleBySeed = new Map(evaluation.oracle.map((r) => [r.seed, r]));
  const oracleOf = (seed: number) => oracleBySeed.get(seed)!;
  const changePeriod = evaluation.changeDay === null ? null : Math.round((evaluation.changeDay * 86_400_000) / evaluation.bucketMs);
  const labels = [...new Set(evaluation.runs.map((r) => r.policy))];
  const policies = labels.map((policy): PolicyReport => {
    const runs = evaluation.runs.filter((r) => r.policy === policy);
    const share = (part: keyof PeriodSeries, ids: readonly string[], from = 0) => stat(runs.map((r) => pooledShare(r, oracleOf(r.seed), ids, part, from)));
    return {
      policy,
      share: share('revenue', evaluation.portfolios),
      mediaShare: share('media', evaluation.portfolios),
      portfolios: Object.fromEntries(evaluation.portfolios.map((id) => [id, { share: share('revenue', [id]), mediaShare: share('media', [id]) }])),
      afterChange: changePeriod === null ? null : {
        share: share('revenue', evaluation.portfolios, changePeriod),
        mediaShare: share('media', evaluation.portfolios, changePeriod),
        mediaRecovery: recovery(runs.flatMap((r) => evaluation.portfolios.map((id) => cyclesTo95(r.portfolios[id]!, oracleOf(r.seed).portfolios[id]!, 'media', changePeriod)))),
      },
      detection: runs.some((r) => Object.keys(r.detections).length > 0) ? detectionReport(runs, oracleOf, evaluation) : null,
    };
  });
  return {
    scenario: evaluation.scenario,
    days: evaluation.days,
    seeds: new Set(evaluation.oracle.map((r) => r.seed)).size,
    portfolios: evaluation.portfolios,
    changeDay: evaluation.changeDay,
    policies,
  };
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : 'n/a');
const range = (s: Stat) => `${pct(s.mean)} [${pct(s.min)}, ${pct(s.max)}]`;
const num = (s: Stat | null, digits = 1) => (s === null || s.n === 0 ? 'n/a' : `${s.mean.toFixed(digits)} [${s.min.toFixed(digits)}, ${s.max.toFixed(digits)}]`);
const rec = (r: Recovery | null) => (r === null ? 'n/a' : `${num(r.periods)}, recovered ${r.recovered}/${r.cases}`);

/** The report as text for a terminal or docs/evaluation.md (a markdown table). */
export function renderReport(report: EvaluationReport): string {
  const lines = [
    `scenario ${report.scenario}: ${report.days} days, ${report.seeds} seed${report.seeds === 1 ? '' : 's'}, portfolios ${report.portfolios.join(', ')}` +
      (report.changeDay === null ? '' : `; change on day ${report.changeDay}`),
    'share of the dynamic oracle\'s revenue (mean of the portfolios\' shares), mean [min, max] over seeds:',
    '',
    `| policy | revenue | media revenue | ${report.portfolios.map((id) => `${id} revenue`).join(' | ')} |${report.changeDay === null ? '' : ` after the change | media after the change | hours from the change to ${RECOVERED_HOURS} h at ≥ 95% of the oracle's media revenue |`}`,
    `|---|---|---|${report.portfolios.map(() => '---|').join('')}${report.changeDay === null ? '' : '---|---|---|'}`,
  ];
  for (const p of report.policies) {
    const after = p.afterChange === null ? '' : ` ${range(p.afterChange.share)} | ${range(p.afterChange.mediaShare)} | ${rec(p.afterChange.mediaRecovery)} |`;
    lines.push(`| ${p.policy} | ${range(p.share)} | ${range(p.mediaShare)} | ${report.portfolios.map((id) => range(p.portfolios[id]!.share)).join(' | ')} |${after}`);
  }
  for (const p of report.policies) {
    const d = p.detection;
    if (d === null) continue;
    lines.push('');
    lines.push(`${p.policy}: change detections per run and portfolio ${num(d.detections, 2)}, of them false alarms ${num(d.falseAlarms, 2)}` +
      (report.changeDay === null ? '' : `; detected ${d.detected}/${d.cases}, ${num(d.delayHours)} h after the change; cycles from the first post-alarm period to ${RECOVERED_HOURS} h at ≥ 95% of the oracle: revenue ${rec(d.cyclesTo95)}, media revenue ${rec(d.mediaCyclesTo95)}`));
  }
  return lines.join('\n');
}
