/** The CLI as a library call: usage errors, config errors, and the simulator's NDJSON output. */
import { describe, expect, it } from 'vitest';
import { runSpendflow } from '../../support/cli.ts';

const cli = runSpendflow;

describe('spendflow CLI', () => {
  it('prints usage for help and rejects unknown commands with exit 2', async () => {
    expect((await cli(['help'])).out).toContain('spendflow serve');
    const bad = await cli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown command "frobnicate"');
  });

  it('reports every configuration problem at once, naming each key, and exits 2', async () => {
    const res = await cli(['serve'], { SPENDFLOW_SERVICE_PORT: '80x', SPENDFLOW_INGEST_BUCKET_MINUTES: '0', SPENDFLOW_KAFKA_BROKERS: 'no-port' });
    expect(res.code).toBe(2);
    expect(res.err).toContain('SPENDFLOW_SERVICE_PORT');
    expect(res.err).toContain('ingest.bucketMinutes');
    expect(res.err).toContain('kafka.brokers');
  });

  it('rejects unknown flags', async () => {
    const res = await cli(['simulate', '--stdout', '--hourz', '3']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('--hourz');
  });

  it('simulate --stdout writes deterministic NDJSON records that spendflow accepts', async () => {
    const args = ['simulate', '--stdout', '--hours', '2', '--start', '2026-05-04T00:00:00Z', '--seed', '7'];
    const a = await cli(args);
    const b = await cli(args);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const lines = a.out.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; key: string; value: Record<string, unknown> });
    // 2 hours of 5-minute ticks, 2 portfolios: (4 + 3 spend channels + 2 sales) per tick.
    expect(lines).toHaveLength(24 * 9);
    expect(new Set(lines.map((l) => l.topic))).toEqual(new Set(['spend', 'sales']));
    for (const l of lines) expect(l.key).toBe(l.value['portfolioId']);
    const other = await cli(['simulate', '--stdout', '--hours', '2', '--start', '2026-05-04T00:00:00Z', '--seed', '8']);
    expect(other.out).not.toBe(a.out);
  });

  it('simulate --stdout reports progress on stderr as plain lines, keeps stdout pure NDJSON, and --quiet silences it', async () => {
    const args = ['simulate', '--stdout', '--hours', '2', '--start', '2026-05-04T00:00:00Z'];
    const res = await cli(args);
    expect(res.code).toBe(0);
    const progress = res.err.trim().split('\n').filter((l) => l.startsWith('simulate: '));
    expect(progress[0]).toBe('simulate: 0% (0/24 ticks) at 2026-05-04T00:00Z');
    expect(progress.at(-1)).toBe('simulate: 100% (24/24 ticks) at 2026-05-04T02:00Z');
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(res.err).not.toContain('\r');
    for (const line of res.out.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const quiet = await cli([...args, '--quiet']);
    expect(quiet.err.split('\n').filter((l) => l.startsWith('simulate: '))).toEqual([]);
    expect(quiet.out).toBe(res.out);
  });

  it('simulate without brokers or --stdout explains what to do', async () => {
    const res = await cli(['simulate', '--hours', '1']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('--brokers');
  });
});
