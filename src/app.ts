/**
 * The composition root: the only place that knows which adapter serves each port.
 *   embedded (no kafka.brokers): in-process bus → pipeline → in-process bus, simulator as source,
 *                                state in a local file store (state.dir), control in control.json
 *   kafka:                       consumer group → pipeline → one transaction per batch (outputs,
 *                                state topic, offsets); control from the compacted control topic
 */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildServer } from './api/server.ts';
import { InProcessBus } from './bus/in-process-bus.ts';
import { createKafkaClient, ensureTopics, spendflowTopics, type KafkaClient } from './bus/kafka-client.ts';
import { isEmbedded, simulatorEnabled } from './config/loader.ts';
import { parseSimulatorStart } from './config/schema.ts';
import type { Config } from './config/types.ts';
import { InProcessSource } from './ingest/in-process-source.ts';
import type { Logger } from './log.ts';
import { initialBudgets } from './pipeline/allocation-state.ts';
import { createPipeline, type Pipeline } from './pipeline/pipeline.ts';
import { LiveControlPlane, type ControlStore } from './control/control-plane.ts';
import { FileControlStore, KafkaControlStore } from './control/stores.ts';
import { ExactlyOnceSource } from './stream/exactly-once-source.ts';
import { LocalStateStore } from './stream/local-state-store.ts';
import { StateTracker } from './stream/state-tracker.ts';
import { SignalBus } from './pipeline/signals.ts';
import type { SourceRecord } from './ports.ts';
import { InProcessPublisher } from './publish/in-process-sink.ts';
import { startLiveSimulation, type LiveSimulation, type SimulationTransport } from './sim/live-driver.ts';
import { MarketSimulator } from './sim/market.ts';
import type { SimScenario } from './sim/scenario.ts';
import { resolveScenario } from './sim/scenarios.ts';
import { inProcessTransport, kafkaTransport } from './sim/transports.ts';
import { startHistory, type History } from './telemetry/history.ts';
import { registerHistoryMetrics, registerPipelineMetrics } from './telemetry/metrics.ts';

export interface App {
  readonly config: Config;
  readonly mode: 'embedded' | 'kafka';
  readonly server: FastifyInstance;
  readonly pipeline: Pipeline;
  readonly control: LiveControlPlane;
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
  const start = config.simulator.start;
  // An exact date-time is kept as given; "now" and relative starts snap to a bucket boundary.
  if (start !== null && !start.startsWith('-')) return Date.parse(start);
  return Math.floor((start === null ? wallNow : parseSimulatorStart(start, wallNow)) / bucketMs) * bucketMs;
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
  registerPipelineMetrics(registry, signals, { portfolios: config.metrics.portfolios });
  const historyStats = registerHistoryMetrics(registry);

  let bus: InProcessBus | null = null;
  let kafka: KafkaClient | null = null;
  let stream: ExactlyOnceSource | null = null;
  let local: { source: InProcessSource; publisher: InProcessPublisher; store: LocalStateStore; tracker: StateTracker } | null = null;
  if (embedded) bus = new InProcessBus();
  const inProcess = bus ? new InProcessPublisher(bus, config.kafka.topics) : null;
  // Kafka mode: portfolios become live when their partition is assigned and restored.
  const pipeline: Pipeline = createPipeline({
    config,
    signals,
    ...(inProcess ? { allocations: inProcess, deadLetters: inProcess } : {}),
    log: log.child({ component: 'pipeline' }),
    incrementalIds: true,
    ...(embedded ? {} : { activate: () => false, partitionOf: (id: string) => stream!.partitionOf(id) }),
  });
  let store: ControlStore;
  if (bus && inProcess) {
    local = {
      source: new InProcessSource(bus, config.kafka.topics, log.child({ component: 'source' })),
      publisher: inProcess,
      store: new LocalStateStore(config.state.dir),
      tracker: new StateTracker('local'),
    };
    store = new FileControlStore(config.state.dir, log.child({ component: 'control' }));
  } else {
    kafka = createKafkaClient(config.kafka, log);
    store = new KafkaControlStore(kafka, config.kafka, log.child({ component: 'control' }));
  }
  const control: LiveControlPlane = new LiveControlPlane({
    config,
    pipeline,
    store,
    log: log.child({ component: 'control' }),
    owns: (id) => (stream ? stream.owns(id) : pipeline.portfolio(id) !== undefined),
    run: (id, fn) => (stream ? stream.act(id, fn) : runLocally(fn)),
  });
  if (!embedded) {
    stream = new ExactlyOnceSource({ client: kafka!, config, pipeline, signals, log: log.child({ component: 'stream' }), portfolioIds: () => control.ids() });
  }

  /** Embedded: the outbox is saved to the local store, then published on the in-process bus. */
  async function commitLocally(): Promise<void> {
    const l = local!;
    const out = pipeline.takeOutbox();
    l.store.apply(l.tracker.records(pipeline, out), out.decided.size > 0);
    await pipeline.publish(out);
  }
  async function runLocally<T>(fn: () => T): Promise<T> {
    const result = fn();
    await commitLocally();
    return result;
  }
  async function handleLocally(record: SourceRecord): Promise<void> {
    pipeline.process(record);
    await commitLocally();
  }

  const pipelineDeps = { portfolio: pipeline.portfolio, portfolioIds: pipeline.portfolioIds };
  const server = buildServer({
    registry,
    pipeline: pipelineDeps,
    control,
    auth: { token: config.api.token, protectReads: config.api.protectReads },
    log: log.child({ component: 'api' }),
    readiness: () => {
      if (stream) {
        const r = stream.readiness();
        return [{ name: `source:${stream.name}`, ok: r.ok, ...(r.detail !== undefined ? { detail: r.detail } : {}) }];
      }
      const ready = local!.source.isReady();
      return [{ name: `source:${local!.source.name}`, ok: ready, ...(ready ? {} : { detail: 'not consuming yet' }) }];
    },
  });

  let simulation: LiveSimulation | null = null;
  let history: History | null = null;
  return {
    config,
    mode: embedded ? 'embedded' : 'kafka',
    server,
    pipeline,
    control,
    registry,
    signals,
    bus,
    async start() {
      if (kafka && config.kafka.createTopics) {
        const created = await ensureTopics(kafka, spendflowTopics(config), config.kafka);
        if (created.length > 0) log.info('created topics', { topics: created });
      }
      history = startHistory({ config, signals, stats: historyStats, portfolio: (id) => pipeline.portfolio(id), log: log.child({ component: 'history' }) });
      await control.start();
      if (local) {
        const restoredAt = performance.now();
        const saved = local.store.load();
        let restored = 0;
        for (const id of control.ids()) {
          const found = saved.get(id);
          if (!found) continue;
          for (const problem of found.problems) signals.emit({ type: 'state.invalid', portfolioId: id, problem });
          pipeline.restore(id, found.snapshot);
          local.tracker.adopt(id, found.idKeys);
          restored++;
        }
        pipeline.takeOutbox();
        if (restored > 0) {
          signals.emit({ type: 'state.restored', partition: -1, portfolios: restored, durationSeconds: (performance.now() - restoredAt) / 1000 });
          log.info('state restored from the local store', { file: local.store.file, portfolios: restored });
        }
        await local.source.start(handleLocally);
      } else {
        await stream!.start();
        // The simulator (a demo convenience here) resumes from restored state: wait for it.
        if (simulatorEnabled(config)) await stream!.settled(30_000);
      }
      log.info('consuming', { mode: embedded ? 'embedded (in-process bus)' : 'kafka (exactly-once)', brokers: config.kafka.brokers });
      if (simulatorEnabled(config)) {
        // After a restart the market carries on from the latest restored event time, so its
        // events are neither late nor duplicates of what was already counted.
        const resumeFrom = Math.max(...pipeline.portfolioIds().map((id) => pipeline.portfolio(id)?.latestEventTime ?? -Infinity));
        const tickMs = config.simulator.tickMinutes * 60_000;
        const start = Number.isFinite(resumeFrom) ? (Math.floor(resumeFrom / tickMs) + 1) * tickMs : simulationStart(config, Date.now());
        const market = buildMarket(config, scenarioFor(config, log), start);
        const platforms = [...new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
        const transport: SimulationTransport = bus ? inProcessTransport(bus, config) : kafkaTransport(kafka!, config, platforms);
        try {
          simulation = await startLiveSimulation({
            realTimeAfterCatchUp: config.simulator.realTimeAfterCatchUp,
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
          { simulatedStart: new Date(start).toISOString(), resumed: Number.isFinite(resumeFrom), scenario: config.simulator.scenario, seed: config.simulator.seed },
        );
      }
    },
    async stop() {
      await simulation?.stop();
      if (local) {
        await local.source.stop();
        local.store.save();
        await local.publisher.close();
      }
      await stream?.stop();
      await history?.stop();
      await store.close();
      await server.close();
    },
  };
}
