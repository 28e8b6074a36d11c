/**
 * The README's first command on the embedded default: `npm start` serves /health and, within
 * 30 s, a non-empty allocation for a demo portfolio, with reoptimizations counted in /metrics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka.ts';
import { listeningUrl, run, type Running } from '../support/processes.ts';

let service: Running | undefined;
// A newcomer's first run: no saved state (the default state.dir is .spendflow/state in the checkout).
const stateDir = mkdtempSync(join(tmpdir(), 'spendflow-quickstart-'));

afterAll(async () => {
  await service?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

type Allocation = { version: number; status: string; bucketsSeen: number; channels: { budget: number }[] };

describe('npm start (embedded default)', () => {
  it('serves a demo allocation and counts reoptimizations within 30 seconds', async () => {
    // No Kafka configured: the in-process bus and the simulator. Port 0 = any free port.
    const env: Record<string, string> = { SPENDFLOW_SERVICE_PORT: '0', SPENDFLOW_KAFKA_BROKERS: '', SPENDFLOW_STATE_DIR: stateDir };
    service = run('npm', ['start', '--silent'], env);
    const url = await waitFor(() => listeningUrl(service!.output()), (u) => u !== undefined, 30_000, () => service!.output());
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(service.output()).toMatch(/simulated time runs \d+x faster than wall time/);

    const allocation = await waitFor(
      async () => (await (await fetch(`${url}/v1/portfolios/demo-shop/allocation`)).json()) as Allocation,
      (a) => a.version >= 1,
      30_000,
      (a) => `still ${JSON.stringify(a)}`,
    );
    expect(allocation.channels.length).toBeGreaterThan(0);
    expect(allocation.channels.reduce((s, c) => s + c.budget, 0)).toBeCloseTo(2000, 2);
    const reoptimizations = await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return text
          .split('\n')
          .filter((l) => l.startsWith('spendflow_reoptimizations_total{'))
          .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
      },
      (n) => n > 0,
      30_000,
      (n) => `reoptimizations ${n}`,
    );
    expect(reoptimizations).toBeGreaterThan(0);
    // npm itself dies of the signal; the service underneath must shut down cleanly.
    await service.stop();
    expect(service.output()).toContain('"msg":"shutting down"');
    expect(service.output()).not.toContain('"level":"error"');
  });

  it('a restart carries on from the saved state: same model, no jump back to the initial split', async () => {
    const env: Record<string, string> = { SPENDFLOW_SERVICE_PORT: '0', SPENDFLOW_KAFKA_BROKERS: '', SPENDFLOW_STATE_DIR: stateDir };
    service = run('npm', ['start', '--silent'], env);
    const url = await waitFor(() => listeningUrl(service!.output()), (u) => u !== undefined, 30_000, () => service!.output());
    // Restored at start (the HTTP server may answer a moment earlier): the learned buckets and
    // the last version come back rather than a fresh learning phase.
    const first = await waitFor(
      async () => (await (await fetch(`${url}/v1/portfolios/demo-shop/allocation`)).json()) as Allocation,
      (a) => a.bucketsSeen > 0,
      5_000,
      (a) => `not restored: ${JSON.stringify(a)}`,
    );
    expect(first.version).toBeGreaterThanOrEqual(1);
    expect(first.status).not.toBe('initial');
    expect(service.output()).toContain('state restored from the local store');
    expect(service.output()).toMatch(/"resumed":true/);
    const later = await waitFor(
      async () => (await (await fetch(`${url}/v1/portfolios/demo-shop/allocation`)).json()) as Allocation,
      (a) => a.bucketsSeen > first.bucketsSeen,
      30_000,
      (a) => `still ${JSON.stringify(a)}`,
    );
    expect(later.version).toBeGreaterThanOrEqual(first.version);
    await service.stop();
    expect(service.output()).not.toContain('"level":"error"');
  });
});
