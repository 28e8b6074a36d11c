/**
 * The README's first command on the embedded default: `npm start` serves /health and, within
 * 30 s, a non-empty allocation for a demo portfolio, with reoptimizations counted in /metrics.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka.ts';
import { listeningUrl, run, type Running } from '../support/processes.ts';

let service: Running | undefined;

afterAll(async () => {
  await service?.stop();
});

describe('npm start (embedded default)', () => {
  it('serves a demo allocation and counts reoptimizations within 30 seconds', async () => {
    // No Kafka configured: the in-process bus and the simulator. Port 0 = any free port.
    const env: Record<string, string> = { SPENDFLOW_SERVICE_PORT: '0', SPENDFLOW_KAFKA_BROKERS: '' };
    service = run('npm', ['start', '--silent'], env);
    const url = await waitFor(() => listeningUrl(service!.output()), (u) => u !== undefined, 30_000, () => service!.output());
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(service.output()).toMatch(/simulated time runs \d+x faster than wall time/);

    const allocation = await waitFor(
      async () => (await (await fetch(`${url}/v1/portfolios/demo-shop/allocation`)).json()) as { version: number; status: string; channels: { budget: number }[] },
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
});
