/** `spendflow` commands: serve, simulate. */
import { errorMessage, isSpendflowError } from '../errors.ts';
import { serveCommand } from './serve.ts';
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
  spendflow simulate [--stdout] [--hours N] [--scenario NAME|FILE] [--seed N] [--speed X]
                     [--start ISO] [--brokers HOST:PORT,...] [--config FILE]...
      Run the market simulator. --stdout prints NDJSON records (no feedback); otherwise events go to
      Kafka and the simulator follows the reallocations spendflow publishes.
  spendflow help

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
    if (isSpendflowError(err) && (err.code === 'CONFIG_INVALID' || err.code === 'INPUT_INVALID')) {
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
