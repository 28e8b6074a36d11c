/**
 * `npm run bench:fit`: what the batch fit costs, each figure next to a baseline measured in the
 * same run (the machine is shared and noisy; the ratio is what carries over).
 *
 * 1. `spendflow fit` on the Robyn sample (208 weeks × 5 channels, 2 controls) as a child process,
 *    end to end, WITH the default cross-validation (issue 4's target: ≤ 30 s on 2 cores), next
 *    to the same command with `--no-cv`.
 * 2. One Adam step of the batched graph with K members (the cross-validation batch's size) next
 *    to one step with a single member: how much the batch dimension saves over K separate fits.
 *
 * Prints a table like bench/run.ts; the figures are recorded in docs/model.md ("Measured"). The
 * command runs BENCH_FIT_REPEATS times (default 3), alternating with and without CV; the best run
 * is the figure (on a shared machine the slower runs measure the neighbours), every run is listed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../src/model/fit/backend.ts';
import { buildGraph } from '../src/model/fit/graph.ts';
import { DEFAULT_SHAPE, type MemberSpec } from '../src/model/fit/members.ts';
import { registerRuntimeHooks } from '../src/runtime/hooks.ts';

// tfjs-core's gradient registrations load through this hook under plain Node (see src/main.ts).
registerRuntimeHooks();

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATASET = resolve(ROOT, '../shared/datasets/robyn_dt_simulated_weekly.csv');
if (!existsSync(DATASET)) throw new Error(`bench:fit needs the Robyn dataset at ${DATASET}`);
const REPEATS = Number(process.env['BENCH_FIT_REPEATS'] ?? 3);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const rows: [string, string, string, string][] = [];
const loadAtStart = loadavg();
const dir = mkdtempSync(join(tmpdir(), 'spendflow-bench-fit-'));
try {
  // 1. The command, end to end.
  const args = ['bin/spendflow.js', 'fit', DATASET, '--date', 'DATE', '--target', 'revenue', '--channels', 'tv_S,ooh_S,print_S,facebook_S,search_S', '--controls', 'competitor_sales_B,events', '--json', '--quiet'];
  const run = (extra: string[]): { seconds: number; nrmse: number; ridge: number } => {
    const t0 = performance.now();
    const child = spawnSync(process.execPath, [...args, '--out', join(dir, 'model.json'), ...extra], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const seconds = (performance.now() - t0) / 1000;
    if (child.status !== 0) throw new Error(`spendflow fit failed (${child.status}): ${child.stderr}`);
    const report = JSON.parse(child.stdout) as { model: { holdout: { nrmse: number; ridgeNrmse: number } } };
    return { seconds, nrmse: report.model.holdout.nrmse, ridge: report.model.holdout.ridgeNrmse };
  };
  const withCv: number[] = [];
  const withoutCv: number[] = [];
  let last = { seconds: 0, nrmse: Number.NaN, ridge: Number.NaN };
  for (let r = 0; r < REPEATS; r++) {
    last = run([]);
    withCv.push(last.seconds);
    withoutCv.push(run(['--no-cv']).seconds);
  }
  rows.push([
    `spendflow fit, Robyn 208 weeks × 5 channels, default (CV + hold-out + refit + bootstrap; target ≤ 30 s); hold-out NRMSE ${last.nrmse.toFixed(4)} vs ridge ${last.ridge.toFixed(4)}`,
    `best ${Math.min(...withCv).toFixed(1)} s, median ${median(withCv).toFixed(1)} s (runs: ${withCv.map((s) => s.toFixed(1)).join(', ')})`,
    `--no-cv: best ${Math.min(...withoutCv).toFixed(1)} s (runs: ${withoutCv.map((s) => s.toFixed(1)).join(', ')})`,
    (Math.min(...withCv) / Math.min(...withoutCv)).toFixed(2) + 'x (best / best)',
  ]);

  // 2. One batched Adam step vs a single-member step, on the Robyn shape (T = 166, C = 5, P = 9).
  await ensureBackend();
  const T = 166;
  const C = 5;
  const P = 9;
  const graphData = {
    y: Float32Array.from({ length: T }, (_, t) => 1 + 0.2 * Math.sin(t / 5)),
    features: Float32Array.from({ length: T * P }, (_, i) => (i % P === 0 ? 1 : Math.sin(i * 0.37))),
    featureCount: P,
    spend: Float32Array.from({ length: T * C }, (_, i) => Math.abs(Math.sin(i * 1.7))),
    channels: C,
    periods: T,
    maxLag: 8,
  };
  const stepMs = (members: number): number => {
    const specs: MemberSpec[] = Array.from({ length: members }, () => ({ adstock: 'geometric', saturation: 'hill', centre: DEFAULT_SHAPE, strength: 1 }));
    const graph = buildGraph(graphData, specs);
    const optimizer = tf.train.adam(0.01);
    try {
      const step = () => optimizer.minimize(() => tf.sum(graph.memberLoss()), false, graph.variables);
      for (let i = 0; i < 10; i++) step();
      const samples: number[] = [];
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        for (let i = 0; i < 20; i++) step();
        tf.tidy(() => graph.memberLoss().dataSync());
        samples.push((performance.now() - t0) / 20);
      }
      return median(samples);
    } finally {
      optimizer.dispose();
      graph.dispose();
    }
  };
  const K = 72;
  const batched = stepMs(K);
  const single = stepMs(1);
  rows.push([
    `one Adam step of the batched graph, ${K} members (the CV batch), T=${T}, C=${C}`,
    `${batched.toFixed(2)} ms (${(batched / K).toFixed(3)} ms per member)`,
    `1 member: ${single.toFixed(2)} ms (${K} separate fits: ${(single * K).toFixed(0)} ms)`,
    (batched / (single * K)).toFixed(3) + 'x',
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`spendflow fit benchmarks — node ${process.version}, backend ${tf.getBackend()}, load average at start ${loadAtStart.map((v) => v.toFixed(2)).join(' ')}, at end ${loadavg().map((v) => v.toFixed(2)).join(' ')}, ${new Date().toISOString()}`);
console.log('| what | figure | baseline (same run) | ratio |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
