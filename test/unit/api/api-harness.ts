/**
 * A server for route tests: the real pipeline on the in-process bus (fed by the market simulator
 * where a fitted model is needed) and the in-memory control plane.
 */
import { Registry } from 'prom-client';
import { buildServer } from '../../../src/api/server.ts';
import { buildMarket } from '../../../src/app.ts';
import { InProcessBus } from '../../../src/bus/in-process-bus.ts';
import { loadConfig } from '../../../src/config/loader.ts';
import type { Config } from '../../../src/config/types.ts';
import type { Logger } from '../../../src/log.ts';
import { createPipeline, type Pipeline } from '../../../src/pipeline/pipeline.ts';
import { SignalBus } from '../../../src/pipeline/signals.ts';
import { InProcessPublisher } from '../../../src/publish/in-process-sink.ts';
import { builtInScenario } from '../../../src/sim/scenarios.ts';
import { registerPipelineMetrics } from '../../../src/telemetry/metrics.ts';
import { FakeControlPlane, type FakeControlPlaneOptions } from '../../support/fake-control-plane.ts';

export const TOKEN = 'test-token-0123456789abcdef';
export const BEARER = { authorization: `Bearer ${TOKEN}` };

export interface HarnessOptions {
  readonly ready?: boolean;
  readonly token?: string | null;
  readonly protectReads?: boolean;
  readonly control?: FakeControlPlaneOptions;
  readonly log?: Logger;
  /** A pipeline to reuse (e.g. one with a fitted model). */
  readonly pipeline?: Pipeline;
}

export function pipelineFor(config: Config) {
  const bus = new InProcessBus();
  const publisher = new InProcessPublisher(bus, config.kafka.topics);
  const signals = new SignalBus();
  const registry = new Registry();
  registerPipelineMetrics(registry, signals, { processMetrics: false });
  const pipeline = createPipeline({ config, allocations: publisher, deadLetters: publisher, signals });
  return { pipeline, signals, registry };
}

/** Simulated hours of the demo scenario through the pipeline: the model is fitted after the first bucket. */
export async function feed(config: Config, pipeline: Pipeline, hours: number): Promise<void> {
  const market = buildMarket(config, builtInScenario('demo'), Date.parse('2026-03-02T00:00:00Z'));
  for (let i = 0; i < (hours * 60) / config.simulator.tickMinutes; i++) {
    for (const r of market.step()) await pipeline.handle({ topic: r.topic, kind: r.topic, key: r.key, value: JSON.stringify(r.value) });
  }
}

export function harness(options: HarnessOptions = {}) {
  const config = loadConfig({});
  const own = pipelineFor(config);
  const pipeline = options.pipeline ?? own.pipeline;
  const control = new FakeControlPlane(config.portfolios, options.control ?? {});
  const app = buildServer({
    registry: own.registry,
    pipeline,
    readiness: () => [{ name: 'source:test', ok: options.ready ?? true }],
    control,
    auth: { token: options.token === undefined ? TOKEN : options.token, protectReads: options.protectReads ?? false },
    ...(options.log ? { log: options.log } : {}),
  });
  return { app, config, pipeline, control, signals: own.signals, registry: own.registry };
}

/** A pipeline whose model has seen `hours` of the demo market. */
export async function fittedPipeline(hours = 30): Promise<Pipeline> {
  const config = loadConfig({});
  const { pipeline } = pipelineFor(config);
  await feed(config, pipeline, hours);
  return pipeline;
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly retriable: boolean; readonly fields: readonly { field: string; message: string }[] };
}
