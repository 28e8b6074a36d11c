/**
 * `npm run bench`: figures for the hot paths, each with a baseline measured in the same run so the
 * ratio means something on a shared, noisy machine. Prints a table; docs/benchmarks.md records it.
 */
import { performance } from 'node:perf_hooks';
import { buildMarket } from '../src/app.ts';
import { InProcessBus } from '../src/bus/in-process-bus.ts';
import { defaultConfig } from '../src/config/loader.ts';
import { curveValue } from '../src/model/curves/registry.ts';
import { createOnlineModel, fitOnlineModel, updateOnlineModel } from '../src/model/online/online-model.ts';
import type { ModelBucket } from '../src/model/online/types.ts';
import { allocateBudget } from '../src/optimizer/allocate.ts';
import { createPipeline } from '../src/pipeline/pipeline.ts';
import { onlineModelOptions } from '../src/pipeline/portfolio-model.ts';
import { SignalBus } from '../src/pipeline/signals.ts';
import type { SourceRecord } from '../src/ports.ts';
import { InProcessPublisher } from '../src/publish/in-process-sink.ts';
import { registerRuntimeHooks } from '../src/runtime/hooks.ts';
import { builtInScenario } from '../src/sim/scenarios.ts';
import { createLogger } from '../src/log.ts';
import { startHistory, type History } from '../src/telemetry/history.ts';
import type { HistoryTarget } from '../src/telemetry/history-writer.ts';
import { registerHistoryMetrics, registerPipelineMetrics } from '../src/telemetry/metrics.ts';
import { Registry } from 'prom-client';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, repeats: number): number {
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const config = defaultConfig();
const rows: [string, string, string, string][] = [];

// 1. Ingest: records through the whole pipeline vs parsing the same JSON (the floor).
{
  const market = buildMarket(config, builtInScenario('demo'), Date.parse('2026-03-02T00:00:00Z'));
  const records: SourceRecord[] = [];
  for (let i = 0; i < 288 * 7; i++) {
    for (const r of market.step()) records.push({ topic: r.topic, kind: r.topic, key: r.key, value: JSON.stringify(r.value) });
  }
  const baselineMs = time(() => {
    for (const r of records) JSON.parse(r.value);
  }, 5);
  const samples: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const bus = new InProcessBus({ retain: 10 });
    const publisher = new InProcessPublisher(bus, config.kafka.topics);
    const pipeline = createPipeline({ config, allocations: publisher, deadLetters: publisher, signals: new SignalBus(), now: () => 0 });
    const t0 = performance.now();
    for (const r of records) await pipeline.handle(r);
    samples.push(performance.now() - t0);
  }
  const ms = median(samples);
  rows.push(['ingest: 7 simulated days, 2 portfolios (incl. 336 reoptimizations)', `${Math.round(records.length / (ms / 1000))} records/s`, `${Math.round(records.length / (baselineMs / 1000))} records/s JSON.parse only`, (ms / baselineMs).toFixed(1) + 'x']);
}

// 1b. Telemetry's cost on the same stream: Prometheus metrics and the InfluxDB history (points
//     built and queued; a target that accepts them in memory) against the bare pipeline.
{
  const market = buildMarket(config, builtInScenario('demo'), Date.parse('2026-03-02T00:00:00Z'));
  const records: SourceRecord[] = [];
  for (let i = 0; i < 288 * 7; i++) {
    for (const r of market.step()) records.push({ topic: r.topic, kind: r.topic, key: r.key, value: JSON.stringify(r.value) });
  }
  const run = async (observed: boolean): Promise<{ ms: number; points: number }> => {
    const bus = new InProcessBus({ retain: 10 });
    const publisher = new InProcessPublisher(bus, config.kafka.topics);
    const signals = new SignalBus();
    let points = 0;
    const target: HistoryTarget = { name: 'memory', prepare: async () => {}, write: async (batch) => void (points += batch.length) };
    const pipeline = createPipeline({ config, allocations: publisher, deadLetters: publisher, signals, now: () => 0 });
    let history: History | null = null;
    if (observed) {
      const registry = new Registry();
      registerPipelineMetrics(registry, signals, { processMetrics: false, portfolios: config.portfolios.map((p) => p.id) });
      history = startHistory({ config, signals, stats: registerHistoryMetrics(registry), portfolio: (id) => pipeline.portfolio(id), log: createLogger('silent'), target });
    }
    const t0 = performance.now();
    for (const r of records) await pipeline.handle(r);
    const ms = performance.now() - t0;
    await history?.stop();
    return { ms, points };
  };
  const bare: number[] = [];
  const observed: number[] = [];
  let points = 0;
  for (let rep = 0; rep < 3; rep++) {
    bare.push((await run(false)).ms);
    const o = await run(true);
    observed.push(o.ms);
    points = o.points;
  }
  rows.push([
    'telemetry: the same 7 days with metrics + InfluxDB history (in-memory target)',
    `${Math.round(records.length / (median(observed) / 1000))} records/s, ${points} points`,
    `${Math.round(records.length / (median(bare) / 1000))} records/s without telemetry`,
    (median(observed) / median(bare)).toFixed(2) + 'x',
  ]);
}

// 2. Online model update per portfolio-bucket (a full 336-bucket window) vs a batch refit from
//    scratch of the same model on the same window (what a periodic re-estimation costs).
for (const channels of [4, 20]) {
  const ids = Array.from({ length: channels }, (_, i) => `c${i}`);
  const reference = Object.fromEntries(ids.map((id) => [id, 100]));
  const options = onlineModelOptions(config);
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const buckets: ModelBucket[] = Array.from({ length: options.windowBuckets + 200 }, (_, t) => {
    const spend = Object.fromEntries(ids.map((id) => [id, 100 * (0.6 + 0.8 * rnd())]));
    const media = Object.values(spend).reduce((s, x) => s + (250 * x) / (x + 150), 0);
    return { start: Date.parse('2026-03-02T00:00:00Z') + t * 3_600_000, revenue: (3000 + media) * (1 + 0.03 * (rnd() - 0.5)), spend };
  });
  let state = createOnlineModel({ channels: ids, referenceSpend: reference }, options);
  const samples: number[] = [];
  for (const bucket of buckets) {
    const t0 = performance.now();
    state = updateOnlineModel(state, bucket, options).state;
    samples.push(performance.now() - t0);
  }
  const steady = samples.slice(options.windowBuckets).sort((a, b) => a - b);
  const p99 = steady[Math.floor(steady.length * 0.99)]!;
  const window = buckets.slice(-options.windowBuckets);
  const refitMs = time(() => fitOnlineModel({ channels: ids, referenceSpend: reference }, window, options, 25), 5);
  rows.push([
    `online model update: ${channels} channels, ${options.windowBuckets}-bucket window (target ≤ 5 ms at 20 channels)`,
    `median ${median(steady).toFixed(2)} ms, mean ${(steady.reduce((a, b) => a + b, 0) / steady.length).toFixed(2)} ms (p99 ${p99.toFixed(2)} ms: the buckets that refresh the joint intervals)`,
    `batch refit of the same window from scratch: ${refitMs.toFixed(1)} ms`,
    (median(steady) / refitMs).toFixed(3) + 'x',
  ]);
}

// 2b. The same least-squares work in TensorFlow.js (what the online update would cost on tfjs):
//     one Adam step on a 336 × 31 linear least squares, per-op overhead included.
{
  registerRuntimeHooks();
  const tf = await import('@tensorflow/tfjs-core');
  const { ensureBackend } = await import('../src/model/fit/backend.ts');
  const backend = await ensureBackend();
  const a = tf.tensor2d(new Float32Array(336 * 31).fill(1), [336, 31]);
  const w = tf.variable(tf.zeros([31, 1]));
  const y = tf.zeros([336, 1]);
  const optimizer = tf.train.adam(0.01);
  const step = () => optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(a, w), y))) as ReturnType<typeof tf.scalar>);
  for (let i = 0; i < 50; i++) step();
  const stepMs = time(() => {
    for (let i = 0; i < 20; i++) step();
  }, 5) / 20;
  const solveMs = time(() => {
    const design = new Float64Array(336 * 31).fill(1);
    let sum = 0;
    for (let i = 0; i < 31; i++) for (let j = 0; j <= i; j++) for (let t = 0; t < 336; t++) sum += design[i * 336 + t]! * design[j * 336 + t]!;
    if (sum < 0) throw new Error('unreachable');
  }, 50);
  rows.push([`tfjs (${backend}): one Adam step, 336 × 31 least squares`, `${stepMs.toFixed(2)} ms`, `the normal equations of the same problem in plain TypeScript: ${solveMs.toFixed(2)} ms`, (stepMs / solveMs).toFixed(1) + 'x']);
  tf.dispose([a, w, y]);
  optimizer.dispose();
}

// 3. Allocation: annealing (3000 iterations) + polish on 4 channels vs 3000 raw objective evaluations.
{
  const curves = [
    { type: 'hill', beta: 3200, k: 700, s: 1 },
    { type: 'exp', beta: 1500, k: 450 },
    { type: 'hill', beta: 2600, k: 650, s: 2 },
    { type: 'exp', beta: 500, k: 350 },
  ] as const;
  const problem = {
    budget: 2000,
    maxChange: 0.25,
    channels: curves.map((curve, i) => ({ id: `c${i}`, curve, min: 0, max: 1200, current: 500 })),
  };
  const allocMs = time(() => allocateBudget(problem, { iterations: 3000, seed: 1 }), 30);
  const evalMs = time(() => {
    let s = 0;
    for (let it = 0; it < 3000; it++) for (const c of curves) s += curveValue(c, 400 + (it % 7));
    if (s < 0) throw new Error('unreachable');
  }, 30);
  rows.push(['allocateBudget (certified solver): 4 channels, one S-shaped', `${allocMs.toFixed(2)} ms`, `${evalMs.toFixed(3)} ms for 3000 objective evaluations`, (allocMs / evalMs).toFixed(1) + 'x']);
}

console.log(`spendflow benchmarks — node ${process.version}, ${new Date().toISOString()}`);
console.log('| what | figure | baseline (same run) | ratio |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
