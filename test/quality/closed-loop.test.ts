/**
 * Does reallocating help? spendflow runs in a closed loop with the demo market (ground truth
 * known) for ten simulated days; the true expected revenue of its final allocation is compared
 * with the initial allocation it started from and with the true optimum (the oracle). Seeded and
 * deterministic: the same code gives the same numbers on every machine.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/loader.ts';
import { builtInScenario } from '../../src/sim/scenarios.ts';
import { runClosedLoop } from '../support/closed-loop.ts';

describe('closed loop on the demo market', () => {
  // Exploration off: this measures what the mean model learns (a Thompson draw makes any single
  // final allocation random; test/quality/evaluation.test.ts scores the exploring policy over time).
  it('moves every demo portfolio towards the true optimum, never below where it started', async () => {
    const base = defaultConfig();
    const config = { ...base, model: { ...base.model, exploration: 'off' as const } };
    const { outcomes } = await runClosedLoop(config, builtInScenario('demo'), 10);
    for (const o of outcomes) {
      const portfolio = config.portfolios.find((p) => p.id === o.portfolioId)!;
      // The oracle is the best allocation under the same bounds: nobody beats it.
      expect(o.final).toBeLessThanOrEqual(o.oracle * (1 + 1e-9));
      // Better than the even split it started from, by most of what was possible, and within 1%
      // of the best revenue (the first model, without adstock or S-shapes, closed 43% on demo-shop).
      const closed = (o.final - o.initial) / (o.oracle - o.initial);
      expect(closed, `${o.portfolioId}: closed ${(closed * 100).toFixed(1)}% of the gap`).toBeGreaterThan(0.8);
      expect(o.final / o.oracle, `${o.portfolioId}: share of the oracle`).toBeGreaterThan(0.99);
      const total = Object.values(o.finalAllocation).reduce((s, v) => s + v, 0);
      expect(total).toBeCloseTo(portfolio.budget, 2);
    }
  }, 120_000);
});
