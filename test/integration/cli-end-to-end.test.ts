/**
 * What a user does: `spendflow serve` pointed at a broker, `spendflow simulate` writing to it, and
 * a Kafka client that is not ours (Kafka's own console consumer) reading the reallocations.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.ts';
import type { ReallocationEvent } from '../../src/events/types.ts';
import { deleteTopicsMatching, testTopicsEnv, uniqueName, waitFor } from '../support/kafka.ts';
import { listeningUrl, run, spendflow, type Running } from '../support/processes.ts';
import { checkReallocations } from '../support/reallocations.ts';

const brokers = inject('kafkaBrokers');
const prefix = uniqueName('cli');
const env = {
  SPENDFLOW_KAFKA_BROKERS: brokers,
  SPENDFLOW_KAFKA_GROUP_ID: `${prefix}-group`,
  ...testTopicsEnv(prefix),
  SPENDFLOW_SERVICE_PORT: '0',
};
const running: Running[] = [];

afterAll(async () => {
  for (const r of running) await r.stop();
  await deleteTopicsMatching(brokers, prefix);
});

describe('spendflow serve + spendflow simulate on a real broker', () => {
  it('publishes reallocations that Kafka’s own console consumer reads as JSON, summing to the budget', async () => {
    const serve = spendflow(['serve'], env);
    running.push(serve);
    const url = await waitFor(() => listeningUrl(serve.output()), (u) => u !== undefined, 60_000, () => `no "listening" line:\n${serve.output()}`);
    await waitFor(
      async () => (await fetch(`${url}/ready`).catch(() => null))?.status,
      (s) => s === 200,
      60_000,
      (s) => `/ready answered ${s}:\n${serve.output()}`,
    );

    // 12 simulated hours at 36000x: a few seconds of wall time, with feedback from the service.
    const sim = spendflow(['simulate', '--hours', '12', '--speed', '36000', '--start', '2026-04-06T00:00:00Z'], env);
    running.push(sim);
    expect(await sim.exited, sim.output()).toBe(0);

    const config = loadConfig({ env });
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    // The reallocations of demo-shop, through Kafka's Java console consumer.
    await waitFor(
      async () => ((await (await fetch(`${url}/v1/portfolios/demo-shop/allocation`)).json()) as { status: string }).status,
      (status) => status === 'optimized',
      60_000,
      (status) => `demo-shop still ${status}:\n${serve.output()}`,
    );
    const consumer = run('bash', [
      'scripts/kafka.sh', 'console-consumer',
      '--bootstrap-server', brokers,
      '--include', `${prefix.replace(/[.-]/g, (c) => `\\${c}`)}\\.reallocations\\..*`,
      '--from-beginning',
      '--isolation-level', 'read_committed',
      '--timeout-ms', '15000',
    ]);
    await consumer.exited;
    const lines = consumer.output().split('\n').filter((l) => l.startsWith('{'));
    const events = lines.map((l) => JSON.parse(l) as ReallocationEvent);
    expect(events.length, consumer.output()).toBeGreaterThanOrEqual(3 * shop.channels.length);
    const report = checkReallocations(config, events);
    expect(report.problems).toEqual([]);
    expect(new Set(events.filter((e) => e.portfolioId === shop.id).map((e) => e.version)).size).toBeGreaterThanOrEqual(3);
    for (const version of new Set(events.filter((e) => e.portfolioId === shop.id).map((e) => e.version))) {
      const total = events.filter((e) => e.portfolioId === shop.id && e.version === version).reduce((s, e) => s + e.budget, 0);
      expect(Math.abs(total - shop.budget) / shop.budget).toBeLessThanOrEqual(1e-4);
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/spendflow_reoptimizations_total\{outcome="published"\} [1-9]/);

    expect(await serve.stop()).toBe(0);
  });
});
