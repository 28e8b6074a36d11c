/**
 * The contract every ControlPlane keeps (src/control/types.ts): run against the in-memory fake
 * (test/unit/api) and the real control plane, so the fake the API tests use cannot drift from it.
 *
 * The factory starts a control plane whose configuration files hold `portfolios` (version 0, this
 * instance owning all of them) and returns it with a way to stop it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PortfolioConfig } from '../../src/config/types.ts';
import type { ControlPlane } from '../../src/control/types.ts';
import { isSpendflowError, type ErrorCode } from '../../src/errors.ts';

export interface ControlPlaneHarness {
  readonly control: ControlPlane;
  close?(): Promise<void>;
}

export type ControlPlaneFactory = (portfolios: readonly PortfolioConfig[]) => Promise<ControlPlaneHarness> | ControlPlaneHarness;

export const CONTRACT_PORTFOLIOS: readonly PortfolioConfig[] = [
  {
    id: 'shop',
    currency: 'EUR',
    budget: 1000,
    maxChange: 0.2,
    channels: [
      { id: 'search', platform: 'google-ads', min: 100, max: null, initialShare: null },
      { id: 'social', platform: 'meta', min: 50, max: 600, initialShare: null },
    ],
  },
  {
    id: 'outdoor',
    currency: 'USD',
    budget: 500,
    maxChange: 0.1,
    channels: [{ id: 'display', platform: 'dv360', min: 0, max: null, initialShare: null }],
  },
];

/** A valid PUT body for `shop` with the given budget (no id: it comes from the path). */
export function shopBody(budget: number): Record<string, unknown> {
  return {
    currency: 'EUR',
    budget,
    maxChange: 0.2,
    channels: [
      { id: 'search', platform: 'google-ads', min: 100 },
      { id: 'social', platform: 'meta', min: 50, max: 600 },
    ],
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: ErrorCode; fields: string[]; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (!isSpendflowError(err)) throw err;
    return { code: err.code, fields: err.problems.map((p) => p.field), message: err.message };
  }
  throw new Error('expected the call to be refused');
}

export function describeControlPlaneContract(name: string, factory: ControlPlaneFactory): void {
  describe(`ControlPlane contract: ${name}`, () => {
    let harness: ControlPlaneHarness | null = null;
    const start = async () => {
      harness = await factory(CONTRACT_PORTFOLIOS);
      return harness.control;
    };
    afterEach(async () => {
      await harness?.close?.();
      harness = null;
    });

    it('starts from the configuration files at version 0, not paused, owned', async () => {
      const control = await start();
      expect(control.list().map((e) => e.config.id).sort()).toEqual(['outdoor', 'shop']);
      const shop = control.get('shop')!;
      expect(shop).toMatchObject({ version: 0, source: 'file', updatedAt: null, paused: false, pausedReason: null, owned: true });
      expect(shop.config).toMatchObject({ id: 'shop', budget: 1000, currency: 'EUR' });
      expect(control.get('nope')).toBeUndefined();
    });

    it('each accepted change is the next version, and the latest wins in get and list', async () => {
      const control = await start();
      const first = await control.put('shop', shopBody(1200));
      expect(first.version).toBe(1);
      expect(first.source).toBe('api');
      expect(Number.isNaN(Date.parse(first.updatedAt ?? ''))).toBe(false);
      const second = await control.put('shop', { ...shopBody(1300), id: 'shop' });
      expect(second.version).toBe(2);
      expect(control.get('shop')).toMatchObject({ version: 2, config: { id: 'shop', budget: 1300 } });
      expect(control.list().find((e) => e.config.id === 'shop')).toMatchObject({ version: 2, config: { budget: 1300 } });
      // The other portfolio is untouched.
      expect(control.get('outdoor')).toMatchObject({ version: 0, config: { budget: 500 } });
    });

    it('a new id creates a portfolio; its next change is one version later', async () => {
      const control = await start();
      const created = await control.put('fresh', { ...shopBody(800), currency: 'GBP' });
      expect(created.config).toMatchObject({ id: 'fresh', currency: 'GBP', budget: 800 });
      expect(created.version).toBeGreaterThanOrEqual(1);
      expect(control.list().map((e) => e.config.id)).toContain('fresh');
      expect((await control.put('fresh', shopBody(900))).version).toBe(created.version + 1);
    });

    it('expectedVersion: applied when current, VERSION_CONFLICT and nothing stored when stale', async () => {
      const control = await start();
      expect((await control.put('shop', shopBody(1100), { expectedVersion: 0 })).version).toBe(1);
      const stale = await refusal(control.put('shop', shopBody(1400), { expectedVersion: 0 }));
      expect(stale.code).toBe('VERSION_CONFLICT');
      expect(control.get('shop')).toMatchObject({ version: 1, config: { budget: 1100 } });
      expect((await control.put('shop', shopBody(1400), { expectedVersion: 1 })).version).toBe(2);
    });

    it('CONFIG_INVALID names every bad field from the portfolio\'s root, and stores nothing', async () => {
      const control = await start();
      const body = shopBody(-5);
      (body['channels'] as Record<string, unknown>[])[1]!['max'] = 10;
      const bad = await refusal(control.put('shop', body));
      expect(bad.code).toBe('CONFIG_INVALID');
      expect(bad.fields).toContain('budget');
      expect(bad.fields).toContain('channels[1].max');
      expect(control.get('shop')).toMatchObject({ version: 0, config: { budget: 1000 } });
      const notAnObject = await refusal(control.put('shop', [1, 2]));
      expect(notAnObject.code).toBe('CONFIG_INVALID');
    });

    it('refuses a body whose id is not the path\'s', async () => {
      const control = await start();
      const bad = await refusal(control.put('shop', { ...shopBody(1000), id: 'outdoor' }));
      expect(bad.code).toBe('CONFIG_INVALID');
      expect(bad.fields).toContain('id');
      expect(control.get('shop')!.version).toBe(0);
      expect(control.get('outdoor')!.version).toBe(0);
    });

    it('pause and resume: unknown ids are PORTFOLIO_NOT_FOUND', async () => {
      const control = await start();
      expect((await refusal(control.pause('nope', 'x'))).code).toBe('PORTFOLIO_NOT_FOUND');
      expect((await refusal(control.resume('nope'))).code).toBe('PORTFOLIO_NOT_FOUND');
      expect((await refusal(control.reoptimize('nope'))).code).toBe('PORTFOLIO_NOT_FOUND');
      expect(control.get('nope')).toBeUndefined();
    });

    it('pause sets the kill switch; pausing again updates the reason; resume clears both', async () => {
      const control = await start();
      const paused = await control.pause('shop', 'black friday freeze');
      expect(paused).toMatchObject({ paused: true, pausedReason: 'black friday freeze' });
      expect(control.get('shop')).toMatchObject({ paused: true, pausedReason: 'black friday freeze' });
      const again = await control.pause('shop', 'audit');
      expect(again).toMatchObject({ paused: true, pausedReason: 'audit' });
      expect(again.version).toBeGreaterThanOrEqual(paused.version);
      const resumed = await control.resume('shop');
      expect(resumed).toMatchObject({ paused: false, pausedReason: null });
      expect(control.get('shop')).toMatchObject({ paused: false, pausedReason: null });
      expect(control.get('outdoor')!.paused).toBe(false);
    });

    it('a configuration change keeps the pause state', async () => {
      const control = await start();
      await control.pause('shop', 'freeze');
      const changed = await control.put('shop', shopBody(1500));
      expect(changed).toMatchObject({ paused: true, pausedReason: 'freeze', config: { budget: 1500 } });
    });

    it('versions never go back, whatever the change', async () => {
      const control = await start();
      const seen = [control.get('shop')!.version];
      seen.push((await control.pause('shop', null)).version);
      seen.push((await control.put('shop', shopBody(1001))).version);
      seen.push((await control.resume('shop')).version);
      seen.push((await control.put('shop', shopBody(1002))).version);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
      expect(seen[4]).toBe(seen[3]! + 1);
    });
  });
}
