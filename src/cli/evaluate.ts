/**
 * `spendflow evaluate --scenario stationary|change-point|drift|outage|all --days 30 --seeds 20`:
 * the closed-loop evaluation (src/evaluate) — spendflow against a weekly batch refit, the
 * historical split and the equal split, each as a share of the dynamic oracle's revenue.
 * Progress on stderr (a bar on a terminal), the report on stdout (a markdown table, or JSON).
 */
import { parseArgs } from 'node:util';
import { SpendflowError, type FieldProblem } from '../errors.ts';
import { runEvaluation, type PolicySpec } from '../evaluate/evaluate.ts';
import { policyNames, type PolicyName } from '../evaluate/policies.ts';
import { renderReport, summarise, type EvaluationReport } from '../evaluate/summary.ts';
import { evaluationScenarioNames, type EvaluationScenarioName } from '../sim/scenarios.ts';
import { loadServiceConfig } from './config-files.ts';
import type { CliIo } from './index.ts';
import { Progress } from './progress.ts';

export const DEFAULT_POLICIES = 'spendflow,weekly-refit,historical,equal';

function integerFlag(name: string, raw: string, min: number, max: number, problems: FieldProblem[]): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    problems.push({ field: `--${name}`, message: `must be an integer in [${min}, ${max}] (got "${raw}")` });
  }
  return v;
}

/** `spendflow`, `spendflow:thompson`, `weekly-refit`, …; every bad entry named. */
export function parsePolicies(raw: string, problems: FieldProblem[]): PolicySpec[] {
  const specs: PolicySpec[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, exploration, ...rest] = entry.split(':');
    if (!(policyNames as readonly string[]).includes(name ?? '') || name === 'oracle') {
      problems.push({ field: '--policies', message: `unknown policy "${name}" (known: ${policyNames.filter((n) => n !== 'oracle').join(', ')}; the oracle always runs)` });
    } else if (exploration !== undefined && (name !== 'spendflow' || (exploration !== 'thompson' && exploration !== 'off') || rest.length > 0)) {
      problems.push({ field: '--policies', message: `"${entry}": only spendflow takes a mode, spendflow:thompson or spendflow:off` });
    } else if (!specs.some((s) => s.name === name && s.exploration === exploration)) {
      specs.push(exploration === undefined ? { name: name as PolicyName } : { name: 'spendflow', exploration: exploration as 'thompson' | 'off' });
    }
  }
  if (specs.length === 0 && problems.length === 0) problems.push({ field: '--policies', message: 'name at least one policy' });
  return specs;
}

export async function evaluateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string', default: 'stationary' },
      days: { type: 'string', default: '30' },
      seeds: { type: 'string', default: '20' },
      'first-seed': { type: 'string', default: '1' },
      policies: { type: 'string', default: DEFAULT_POLICIES },
      config: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const problems: FieldProblem[] = [];
  const scenarios: EvaluationScenarioName[] = values.scenario === 'all' ? [...evaluationScenarioNames] : [];
  if (values.scenario !== 'all') {
    if ((evaluationScenarioNames as readonly string[]).includes(values.scenario)) scenarios.push(values.scenario as EvaluationScenarioName);
    else problems.push({ field: '--scenario', message: `must be one of ${evaluationScenarioNames.join(', ')} or all (got "${values.scenario}")` });
  }
  const days = integerFlag('days', values.days, 1, 365, problems);
  const seedCount = integerFlag('seeds', values.seeds, 1, 1000, problems);
  const firstSeed = integerFlag('first-seed', values['first-seed'], 0, 1_000_000, problems);
  const policies = parsePolicies(values.policies, problems);
  if (problems.length > 0) throw new SpendflowError('INPUT_INVALID', 'invalid evaluate options', { problems });

  const config = loadServiceConfig(values.config ?? [], io.env);
  const seeds = Array.from({ length: seedCount }, (_, i) => firstSeed + i);
  const runsPerScenario = seeds.length * (policies.length + 1);
  const total = scenarios.length * runsPerScenario;
  const progress = new Progress(io, 'evaluate', 'runs', values.quiet);
  const reports: EvaluationReport[] = [];
  const started = performance.now();
  for (const [i, scenario] of scenarios.entries()) {
    const runs = await runEvaluation({
      config,
      scenario,
      days,
      seeds,
      policies,
      onProgress: (done, _total, label) => progress.update(i * runsPerScenario + done, total, label),
    });
    reports.push(summarise(runs));
  }
  const seconds = (performance.now() - started) / 1000;
  if (values.json) {
    io.stdout.write(JSON.stringify({ seconds, reports }, null, 2) + '\n');
  } else {
    io.stdout.write(reports.map(renderReport).join('\n\n') + `\n\n${seconds.toFixed(1)} s\n`);
  }
  return 0;
}
