/**
 * The composition root: the only place that knows which adapter serves each port.
 *   embedded (no kafka.brokers): in-process bus → pipeline → in-process bus, simulator as source
 *   kafka:                       kafkajs consumer group → pipeline → idempotent kafkajs producer
 */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildServer } from './api/server.ts';
import { InProcessBus } from './bus/in-process-bus.ts';
import { createKafkaClient, ensureTopics, spendflowTopics, type KafkaClient } from './bus/kafka-client.ts';
import { isEmbedded, simulatorEnabled } from './config/loader.ts';
import type { Config } from './config/types.ts';
import { InProcessSource } from './ingest/in-process-source.ts';
import { KafkaSource } from './ingest/kafka-source.ts';
import type { Logger } from './log.ts';
import { initialBudgets } from './pipeline/allocation-state.ts';
import { createPipeline, type Pipeline } from './pipeline/pipeline.ts';
import { SignalBus } from './pipeline/signals.ts';
import type { AllocationSink, DeadLetterSink, EventSource } from './ports.ts';
import { InProcessPublisher } from './publish/in-process-sink.ts';
import { KafkaPublisher } from './publish/kafka-publisher.ts';
import { startLiveSimulation, type LiveSimulation, type SimulationTransport } from './sim/live-driver.ts';
import { MarketSimulator } from './sim/market.ts';
import type { SimScenario } from './sim/scenario.ts';
import { resolveScenario } from './sim/scenarios.ts';
import { inProcessTransport, kafkaTransport } from './sim/transports.ts';
import { registerPipelineMetrics } from './telemetry/metrics.ts';

export interface App {
  readonly config: Config;
  readonly mode: 'embedded' | 'kafka';
  readonly server: FastifyInstance;
  readonly pipeline: Pipeline;
  readonly registry: Registry;
  readonly signals: SignalBus;
  /** The in-process bus, in embedded mode. */
  readonly bus: InProcessBus | null;
  /** Starts consuming (and the simulator, when enabled). Does not listen on HTTP. */
  start(): Promise<void>;
  /** Stops the simulator, the source, the sinks and the HTTP server, in that order. */
  stop(): Promise<void>;
}

export function simulationStart(config: Config, wallNow: number): number {
  const bucketMs = config.ingest.bucketMinutes * 60_000;
  return config.simulator.start !== null ? Date.parse(config.simulator.start) : Math.floor(wallNow / bucketMs) * bucketMs;
}

/** The named scenario if it fits the configured portfolios, else ground truth generated for them. */
export function scenarioFor(config: Config, log: Logger): SimScenario {
  const { scenario, source } = resolveScenario(config.simulator.scenario, config.portfolios, config.ingest.bucketMinutes, config.simulator.seed);
  if (source === 'generated') {
    log.info('configured portfolios differ from the named scenario; simulating generated ground truth', { scenario: config.simulator.scenario });
  }
  return scenario;
}

/** Each configured portfolio's initial allocation, so the market starts where spendflow does. */
export function initialPlans(config: Config): Record<string, Record<string, number>> {
  return Object.fromEntries(config.portfolios.map((p) => [p.id, initialBudgets(p)]));
}

export function buildMarket(config: Config, scenario: SimScenario, start: number): MarketSimulator {
  const configured = new Set(config.portfolios.map((p) => p.id));
  const plans = initialPlans(config);
  const initialPlan = Object.fromEntries(scenario.portfolios.filter((p) => configured.has(p.id)).map((p) => [p.id, plans[p.id]!]));
  return new MarketSimulator(scenario, { seed: config.simulator.seed, start, tickMinutes: config.simulator.tickMinutes, initialPlan });
}

export async function buildApp(config: Config, log: Logger): Promise<App> {
  const embedded = isEmbedded(config);
  const signals = new SignalBus();
  const registry = new Registry();
  registerPipelineMetrics(registry, signals);

  let bus: InProcessBus | null = null;
  let kafka: KafkaClient | null = null;
  let source: EventSource & { idle?(): Promise<void> };
  let publisher: AllocationSink & DeadLetterSink;
  if (embedded) {
    bus = new InProcessBus();
    source = new InProcessSource(bus, config.kafka.topics, log.child({ component: 'source' }));
    publisher = new InProcessPublisher(bus, config.kafka.topics);
  } else {
    kafka = createKafkaClient(config.kafka, log);
    source = new KafkaSource(kafka, config.kafka, log.child({ component: 'source' }));
    publisher = new KafkaPublisher(kafka, config.kafka.topics);
  }
  const pipeline = createPipeline({ config, allocations: publisher, deadLetters: publisher, signals, log: log.child({ component: 'pipeline' }) });
  const server = buildServer({
    registry,
    pipeline,
    readiness: () => [{ name: `source:${source.name}`, ok: source.isReady(), ...(source.isReady() ? {} : { detail: 'not consuming yet' }) }],
  });

  let simulation: LiveSimulation | null = null;
  return {
    config,
    mode: embedded ? 'embedded' : 'kafka',
    server,
    pipeline,
    registry,
    signals,
    bus,
    async start() {
      if (kafka && config.kafka.createTopics) {
        const created = await ensureTopics(kafka, spendflowTopics(config), config.kafka);
        if (created.length > 0) log.info('created topics', { topics: created });
      }
      await source.start(pipeline.handle);
      log.info('consuming', { mode: embedded ? 'embedded (in-process bus)' : 'kafka', brokers: config.kafka.brokers });
      if (simulatorEnabled(config)) {
        const start = simulationStart(config, Date.now());
        const market = buildMarket(config, scenarioFor(config, log), start);
        const platforms = [...new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
        const transport: SimulationTransport = bus ? inProcessTransport(bus, config) : kafkaTransport(kafka!, config, platforms);
        try {
          simulation = await startLiveSimulation({
            market,
            transport,
            speed: config.simulator.speed,
            tickMinutes: config.simulator.tickMinutes,
            log: log.child({ component: 'simulator' }),
          });
        } catch (err) {
          await transport.close().catch(() => {});
          throw err;
        }
        log.info(
          `simulator running: simulated time runs ${config.simulator.speed}x faster than wall time ` +
            `(one ${config.ingest.bucketMinutes}-minute bucket every ${((config.ingest.bucketMinutes * 60) / config.simulator.speed).toFixed(1)} s)`,
          { simulatedStart: new Date(start).toISOString(), scenario: config.simulator.scenario, seed: config.simulator.seed },
        );
      }
    },
    async stop() {
      await simulation?.stop();
      await source.stop();
      await publisher.close();
      await server.close();
    },
  };
}
