import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { buildMarket, scenarioFor, simulationStart } from '../app.ts';
import { createKafkaClient, ensureTopics, spendflowTopics } from '../bus/kafka-client.ts';
import type { Config } from '../config/types.ts';
import { SpendflowError } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { startLiveSimulation } from '../sim/live-driver.ts';
import { tickCount } from '../sim/ndjson.ts';
import { parseScenario, type SimScenario } from '../sim/scenario.ts';
import { kafkaTransport } from '../sim/transports.ts';
import { loadServiceConfig } from './config-files.ts';
import { parseArgs } from 'node:util';
import type { CliIo } from './index.ts';
import { Progress } from './progress.ts';

function numberFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) {
    throw new SpendflowError('INPUT_INVALID', `--${name} must be a number (got "${raw}")`);
  }
  return v;
}

/** `spendflow simulate`: the market simulator, to stdout as NDJSON or live to Kafka. */
export async function simulateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: {
    stdout: { type: 'boolean', default: false },
    hours: { type: 'string' },
    scenario: { type: 'string' },
    seed: { type: 'string' },
    speed: { type: 'string' },
    start: { type: 'string' },
    brokers: { type: 'string' },
    config: { type: 'string', multiple: true },
    quiet: { type: 'boolean', default: false },
  } });
  const overrides: Record<string, unknown> = {};
  const simulator: Record<string, unknown> = {};
  if (values.brokers !== undefined) overrides['kafka'] = { brokers: values.brokers.split(',').map((b) => b.trim()).filter(Boolean) };
  if (values.seed !== undefined) simulator['seed'] = numberFlag('seed', values.seed);
  if (values.speed !== undefined) simulator['speed'] = numberFlag('speed', values.speed);
  if (values.start !== undefined) simulator['start'] = values.start;
  if (values.scenario !== undefined && !existsSync(values.scenario)) simulator['scenario'] = values.scenario;
  if (Object.keys(simulator).length > 0) overrides['simulator'] = simulator;
  const config = loadServiceConfig(values.config ?? [], io.env, overrides);
  const hours = numberFlag('hours', values.hours);
  const log = createLogger(config.service.logLevel, { write: (line) => io.stderr.write(line + '\n') });
  const start = simulationStart(config, Date.now());
  const market = marketFor(config, values.scenario, start, log);

  const tickMs = config.simulator.tickMinutes * 60_000;
  const progress = new Progress(io, 'simulate', 'ticks', values.quiet);
  const simulated = (tick: number) => `at ${new Date(start + tick * tickMs).toISOString().slice(0, 16)}Z`;

  if (values.stdout) {
    const ticks = tickCount(hours ?? 24, config.simulator.tickMinutes);
    const every = Math.max(1, Math.floor(ticks / 200));
    for (let i = 0; i < ticks; i++) {
      if (i % every === 0) progress.update(i, ticks, simulated(i));
      for (const record of market.simulator.step()) {
        if (!io.stdout.write(JSON.stringify(record) + '\n')) await once(io.stdout, 'drain');
      }
    }
    progress.update(ticks, ticks, simulated(ticks));
    return 0;
  }

  if (config.kafka.brokers.length === 0) {
    throw new SpendflowError('INPUT_INVALID', 'no Kafka brokers: pass --brokers HOST:PORT or set SPENDFLOW_KAFKA_BROKERS, or use --stdout');
  }
  const kafka = createKafkaClient(config.kafka, log, '-simulator');
  if (config.kafka.createTopics) await ensureTopics(kafka, spendflowTopics(config), config.kafka);
  const platforms = [...new Set(market.scenario.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
  const run = await startLiveSimulation({
    market: market.simulator,
    transport: kafkaTransport(kafka, config, platforms),
    speed: config.simulator.speed,
    tickMinutes: config.simulator.tickMinutes,
    log,
    ...(hours === undefined ? {} : { maxTicks: tickCount(hours, config.simulator.tickMinutes) }),
  });
  log.info(`simulating to Kafka: simulated time runs ${config.simulator.speed}x faster than wall time`, {
    brokers: config.kafka.brokers,
    simulatedStart: new Date(start).toISOString(),
    hours: hours ?? 'until stopped',
  });
  const stop = () => void run.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // With --hours the total is known: show how far the run is (until stopped, the log says it daily).
  const total = hours === undefined ? null : tickCount(hours, config.simulator.tickMinutes);
  const ticker = total === null ? null : setInterval(() => progress.update(Math.min(run.ticks(), total), total, simulated(run.ticks())), 500);
  ticker?.unref();
  await run.done;
  await run.stop();
  if (ticker) clearInterval(ticker);
  if (total !== null) {
    if (run.ticks() >= total) progress.update(total, total, simulated(total));
    else progress.note(`stopped after ${run.ticks()} of ${total} ticks`);
  }
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  log.info('simulation finished', { ticks: run.ticks() });
  return 0;
}

function marketFor(config: Config, scenarioFlag: string | undefined, start: number, log: Logger) {
  let scenario: SimScenario;
  if (scenarioFlag !== undefined && existsSync(scenarioFlag)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(scenarioFlag, 'utf8'));
    } catch (err) {
      throw new SpendflowError('INPUT_INVALID', `--scenario ${scenarioFlag}: not valid JSON (${(err as Error).message})`);
    }
    scenario = parseScenario(json);
  } else {
    scenario = scenarioFor(config, log);
  }
  return { scenario, simulator: buildMarket(config, scenario, start) };
}
