/**
 * `spendflow optimize problem.json` and `spendflow frontier problem.json`: the certified
 * allocator on a problem file, JSON on stdout. `spendflow optimize --model model.json --budget N`
 * builds the problem from a fitted model's curves instead. Bad input exits 2, an infeasible
 * problem 3.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SpendflowError, isSpendflowError } from '../errors.ts';
import { allocationProblemFromModel, readModelCurves } from '../model/fit/model-file.ts';
import { allocateBudget } from '../optimizer/allocate.ts';
import { parseAllocationProblem } from '../optimizer/parse-problem.ts';
import type { AllocationProblem, AllocationResult } from '../optimizer/problem.ts';
import type { CliIo } from './index.ts';

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpendflowError('INPUT_INVALID', `cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SpendflowError('INPUT_INVALID', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  return json;
}

function readProblem(positionals: readonly string[], command: string): AllocationProblem {
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) {
    throw new SpendflowError('INPUT_INVALID', `usage: spendflow ${command} problem.json (one problem file)`);
  }
  return parseAllocationProblem(readJsonFile(file));
}

/** The problem of `optimize --model FILE --budget N [--max-share X]`: the model's curves, each from 0 to X·budget. */
function problemFromModel(file: string, rawBudget: string | undefined, rawMaxShare: string | undefined): AllocationProblem {
  if (rawBudget === undefined) throw new SpendflowError('INPUT_INVALID', 'usage: spendflow optimize --model model.json --budget N [--max-share X] (--budget is required)');
  const budget = finiteFlag('budget', rawBudget);
  const maxShare = rawMaxShare === undefined ? undefined : finiteFlag('max-share', rawMaxShare);
  if (maxShare !== undefined && (maxShare <= 0 || maxShare > 1)) throw new SpendflowError('INPUT_INVALID', `--max-share must be in (0, 1] (got "${rawMaxShare}")`);
  return allocationProblemFromModel(readModelCurves(readJsonFile(file)), budget, maxShare);
}

/** JSON with Infinity written as null (JSON has no infinity). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}

export async function optimizeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      method: { type: 'string', default: 'auto' },
      iterations: { type: 'string' },
      seed: { type: 'string' },
      model: { type: 'string' },
      budget: { type: 'string' },
      'max-share': { type: 'string' },
    },
  });
  if (values.method !== 'auto' && values.method !== 'annealing') {
    throw new SpendflowError('INPUT_INVALID', `--method must be auto or annealing (got "${values.method}")`);
  }
  if ((values.model === undefined) === (positionals.length === 0)) {
    throw new SpendflowError('INPUT_INVALID', 'usage: spendflow optimize problem.json | spendflow optimize --model model.json --budget N (exactly one of a problem file or --model)');
  }
  if (values.model === undefined && (values.budget !== undefined || values['max-share'] !== undefined)) {
    throw new SpendflowError('INPUT_INVALID', '--budget and --max-share go with --model (a problem file states its own budget and bounds)');
  }
  const problem = values.model === undefined ? readProblem(positionals, 'optimize') : problemFromModel(values.model, values.budget, values['max-share']);
  const result = allocateBudget(problem, {
    method: values.method,
    ...(values.iterations === undefined ? {} : { iterations: positiveInteger('iterations', values.iterations) }),
    ...(values.seed === undefined ? {} : { seed: positiveInteger('seed', values.seed) }),
  });
  io.stdout.write(toJson(result) + '\n');
  return 0;
}

function positiveInteger(name: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new SpendflowError('INPUT_INVALID', `--${name} must be a non-negative integer (got "${raw}")`);
  return v;
}

function finiteFlag(name: string, raw: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < 0) throw new SpendflowError('INPUT_INVALID', `--${name} must be a number >= 0 (got "${raw}")`);
  return v;
}

/** The efficient frontier: the best allocation for each budget from `from`× to `to`× the problem's. */
export async function frontierCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: { from: { type: 'string', default: '0.5' }, to: { type: 'string', default: '2' }, steps: { type: 'string', default: '16' } },
  });
  const from = finiteFlag('from', values.from);
  const to = finiteFlag('to', values.to);
  const steps = positiveInteger('steps', values.steps);
  if (steps < 2 || to <= from) throw new SpendflowError('INPUT_INVALID', '--steps must be at least 2 and --to greater than --from');
  const problem = readProblem(positionals, 'frontier');
  const points = [];
  for (let k = 0; k < steps; k++) {
    const scale = from + ((to - from) * k) / (steps - 1);
    const budget = problem.budget * scale;
    try {
      const r: AllocationResult = allocateBudget({ ...problem, budget });
      points.push({
        scale,
        budget,
        spend: r.spend,
        response: r.response,
        objective: r.objective,
        roas: r.spend > 0 ? r.response / r.spend : null,
        marginalRoi: r.budgetPrice,
        upperBound: r.upperBound,
        gap: r.gap,
        allocation: r.allocation,
      });
    } catch (err) {
      if (!isSpendflowError(err) || err.code !== 'PROBLEM_INFEASIBLE') throw err;
      points.push({ scale, budget, infeasible: err.message });
    }
  }
  io.stdout.write(toJson({ budget: problem.budget, objective: problem.objective ?? 'revenue', points }) + '\n');
  return 0;
}
