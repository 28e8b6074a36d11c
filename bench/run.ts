/**
 * `npm run bench`: figures for the hot paths, each with a baseline measured in the same run so the
 * ratio means something on a shared, noisy machine. Prints a table; docs/benchmarks.md records it.
 */
import { performance } from 'node:perf_hooks';
import { buildMarket } from '../src/app.ts';
import { InProcessBus } from '../src/bus/in-process-bus.ts';
import { defaultConfig } from '../src/config/loader.ts';
import { curveValue } from '../src/model/curves/registry.ts';
import { fitSaturatingResponse, type SpendObservation } from '../src/model/saturating-fit.ts';
import { allocateBudget } from '../src/optimizer/allocate.ts';
import { createPipeline } from '../src/pipeline/pipeline.ts';
import { SignalBus } from '../src/pipeline/signals.ts';
import type { SourceRecord } from '../src/ports.ts';
import { InProcessPublisher } from '../src/publish/in-process-sink.ts';
import { builtInScenario } from '../src/sim/scenarios.ts';

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

// 2. Model fit on a week of hourly buckets, 4 channels, vs one pass of curve evaluations over the same data.
{
  const ids = ['search', 'shopping', 'social', 'display'];
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const history: SpendObservation[] = Array.from({ length: 168 }, () => {
    const spend = Object.fromEntries(ids.map((id) => [id, 300 + 400 * rnd()]));
    return { spend, revenue: 1800 + Object.values(spend).reduce((s, x) => s + 1500 * (1 - Math.exp(-x / 500)), 0) };
  });
  const fitMs = time(() => fitSaturatingResponse(ids, history, { ridge: 1, priorRoi: 1.5, fallbackSpend: {} }), 20);
  const evalMs = time(() => {
    let s = 0;
    for (const h of history) for (const id of ids) s += curveValue({ type: 'exp', beta: 1500, k: 500 }, h.spend[id]!);
    if (s < 0) throw new Error('unreachable');
  }, 200);
  rows.push(['model fit: 168 buckets × 4 channels', `${fitMs.toFixed(2)} ms`, `${(evalMs * 1000).toFixed(1)} µs one evaluation pass`, (fitMs / evalMs).toFixed(0) + 'x']);
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
