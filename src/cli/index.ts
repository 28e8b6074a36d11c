/** `spendflow` commands: serve, simulate, fit, evaluate, optimize, frontier. */
import { errorMessage, isSpendflowError } from '../errors.ts';
import { evaluateCommand } from './evaluate.ts';
import { fitCommand } from './fit.ts';
import { serveCommand } from './serve.ts';
import { frontierCommand, optimizeCommand } from './optimize.ts';
import { simulateCommand } from './simulate.ts';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const USAGE = `spendflow — real-time marketing budget optimizer

Usage:
  spendflow serve [--config FILE]...
      Run the pipeline and the HTTP API. With no Kafka brokers configured it runs embedded, on the
      in-process bus, with the market simulator as its source.
  spendflow simulate [--stdout] [--hours N] [--scenario NAME|FILE] [--seed N] [--speed X] [--quiet]
                     [--start ISO] [--brokers HOST:PORT,...] [--config FILE]...
      Run the market simulator. --stdout prints NDJSON records (no feedback); otherwise events go to
      Kafka and the simulator follows the reallocations spendflow publishes.
  spendflow fit data.csv --date COL --target COL --channels A,B,... [--controls C,D,...]
                [--missing drop|impute] [--holdout 0.2] [--no-cv] [--adstock geometric|weibull-cdf|weibull-pdf|auto]
                [--curve hill|exp|log|auto] [--prior-strength X] [--steps N] [--cv-steps N]
                [--bootstrap N] [--bootstrap-steps N] [--seed N] [--no-refit] --out model.json [--json] [--quiet]
      Fit the response model to a history file. Rolling-origin cross-validation inside the
      training periods picks the prior strength (and, with auto, the adstock and curve families);
      the last --holdout share of periods is scored (MAPE, NRMSE, R²) next to a ridge regression on
      the same features; the model refitted on every period, with bootstrap intervals, is written
      to model.json (format spendflow-model/2). See docs/model.md.
  spendflow optimize problem.json [--method auto|annealing] [--iterations N] [--seed N]
  spendflow optimize --model model.json --budget N [--max-share X] [--method ...]
      Allocate a budget with the certified optimizer; prints the allocation, the objective, an
      upper bound on the best possible objective and the gap to it, as JSON. With --model the
      channels are the fitted steady-state curves (budget per period), each capped at
      X × budget with --max-share.
  spendflow evaluate [--scenario stationary|change-point|drift|outage|all] [--days 30] [--seeds 20]
                     [--first-seed 1] [--policies spendflow,weekly-refit,historical,equal]
                     [--config FILE]... [--json] [--quiet]
      Closed-loop evaluation on the market simulator: each policy's true revenue as a share of the
      dynamic oracle's (which knows the true curves of every moment). spendflow:thompson and
      spendflow:off force exploration on or off. See docs/evaluation.md.
  spendflow frontier problem.json [--from 0.5] [--to 2] [--steps 16]
      The efficient frontier: the best response, spend and marginal ROI for budgets from
      --from× to --to× the problem's budget.
  spendflow help

Exit codes: 0 done, 1 runtime failure, 2 bad usage, configuration or input, 3 infeasible problem.

Configuration: config/default.yaml, then each --config FILE, then SPENDFLOW_CONFIG, then SPENDFLOW_*
environment variables (see docs/configuration.md).`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest, io);
      case 'simulate':
        return await simulateCommand(rest, io);
      case 'fit':
        return await fitCommand(rest, io);
      case 'evaluate':
        return await evaluateCommand(rest, io);
      case 'optimize':
        return await optimizeCommand(rest, io);
      case 'frontier':
        return await frontierCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        io.stderr.write(`spendflow: unknown command "${command}"\n\n${USAGE}\n`);
        return 2;
    }
  } catch (err) {
    if (isSpendflowError(err) && err.code === 'PROBLEM_INFEASIBLE') {
      io.stderr.write(`spendflow: ${err.message}\n`);
      return 3;
    }
    if (isSpendflowError(err) && (err.code === 'CONFIG_INVALID' || err.code === 'INPUT_INVALID' || err.code === 'CURVE_INVALID')) {
      io.stderr.write(`spendflow: ${err.message}\n`);
      if (err.code === 'INPUT_INVALID' && err.problems.length > 0) {
        io.stderr.write(err.problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n') + '\n');
      }
      return 2;
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`spendflow: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.stderr.write(`spendflow: ${errorMessage(err)}\n`);
    return 1;
  }
}
