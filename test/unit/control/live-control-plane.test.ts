/**
 * The real control plane (src/control/control-plane.ts) keeps the same contract as the API
 * tests' fake, over the embedded file store, and survives a restart from its file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.ts';
import { LiveControlPlane } from '../../../src/control/control-plane.ts';
import { FileControlStore } from '../../../src/control/stores.ts';
import { createLogger } from '../../../src/log.ts';
import { createPipeline, type Pipeline } from '../../../src/pipeline/pipeline.ts';
import { SignalBus } from '../../../src/pipeline/signals.ts';
import { describeControlPlaneContract, shopBody, CONTRACT_PORTFOLIOS } from '../../support/control-plane-contract.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function livePlane(portfolios: readonly unknown[], dir: string): Promise<{ control: LiveControlPlane; pipeline: Pipeline }> {
  const config = loadConfig({ overrides: { portfolios, state: { dir } } });
  const pipeline = createPipeline({ config, signals: new SignalBus(), clock: null });
  const log = createLogger('silent');
  const control = new LiveControlPlane({
    config,
    pipeline,
    store: new FileControlStore(dir, log),
    log,
    owns: (id) => pipeline.portfolio(id) !== undefined,
    run: async (_id, fn) => {
      const result = fn();
      pipeline.takeOutbox();
      return result;
    },
  });
  await control.start();
  return { control, pipeline };
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'spendflow-control-'));
  dirs.push(d);
  return d;
}

describeControlPlaneContract('LiveControlPlane (file store)', async (portfolios) => ({ control: (await livePlane(portfolios, tempDir())).control }));

describe('LiveControlPlane: restart and pipeline effects', () => {
  it('restores the latest versions and the pause from its file, and applies them to the pipeline', async () => {
    const dir = tempDir();
    const first = await livePlane(CONTRACT_PORTFOLIOS, dir);
    await first.control.put('shop', shopBody(1500));
    await first.control.pause('shop', 'campaign review');
    expect(first.pipeline.portfolio('shop')!.portfolio.budget).toBe(1500);
    expect(first.pipeline.portfolio('shop')!.pausedReason).toBe('campaign review');

    const again = await livePlane(CONTRACT_PORTFOLIOS, dir);
    const entry = again.control.get('shop')!;
    expect(entry.version).toBe(2);
    expect(entry.paused).toBe(true);
    expect(entry.config.budget).toBe(1500);
    expect(again.pipeline.portfolio('shop')!.portfolio.budget).toBe(1500);
    expect(again.pipeline.portfolio('shop')!.paused).toBe(true);
  });

  it('a budget cut before any data resizes the initial split to the new budget', async () => {
    const dir = tempDir();
    const { control, pipeline } = await livePlane(CONTRACT_PORTFOLIOS, dir);
    await control.put('shop', shopBody(600));
    const budgets = pipeline.portfolio('shop')!.allocation.budgets;
    const total = Object.values(budgets).reduce((s, v) => s + v, 0);
    expect(total).toBeLessThanOrEqual(600 + 0.005);
  });
});
