import { describe, expect, it } from 'vitest';
import { explainReallocation, type ReasonInput } from '../../../src/pipeline/reason.ts';

const base: ReasonInput = {
  channels: ['search', 'display', 'social'],
  previous: { search: 1000, display: 1000, social: 500 },
  next: { search: 1120, display: 880, social: 500 },
  marginalBefore: { search: 1.6, display: 0.8, social: 1.0 },
  binding: ['budget'],
  relaxations: [],
  budget: 2500,
};

describe('explainReallocation: per-channel wording', () => {
  const { perChannel, summary } = explainReallocation(base);

  it('raised: percentage, amounts, own marginal ROI and the cut channel’s', () => {
    // 120 / 1000 = 12%; the channel that lost most is display (ROI 0.80).
    expect(perChannel['search']).toBe('raised search 12% (1000.00 → 1120.00): marginal ROI 1.60 vs 0.80 on display');
  });

  it('cut: percentage, amounts, own marginal ROI and the raised channel’s', () => {
    expect(perChannel['display']).toBe('cut display 12% (1000.00 → 880.00): marginal ROI 0.80 vs 1.60 on search');
  });

  it('held: amount and marginal ROI, no percentage or counterpart', () => {
    expect(perChannel['social']).toBe('held social at 500.00: marginal ROI 1.00');
  });

  it('summary: share of the budget moved, from the biggest loser to the biggest gainer', () => {
    // 120 of 2500 = 4.8%.
    expect(summary).toBe('moved 4.8% of the budget from display to search: marginal ROI 0.80 vs 1.60');
  });

  it('has one reason per channel and no others', () => {
    expect(Object.keys(perChannel).sort()).toEqual([...base.channels].sort());
  });
});

describe('explainReallocation: counterparts and shares', () => {
  it('names the biggest mover on the other side, and sums every raise into the moved share', () => {
    const { perChannel, summary } = explainReallocation({
      ...base,
      channels: ['a', 'b', 'c', 'd'],
      previous: { a: 300, b: 300, c: 300, d: 100 },
      next: { a: 330, b: 320, c: 250, d: 100 },
      marginalBefore: { a: 2, b: 1.5, c: 0.25, d: 1 },
      budget: 1000,
    });
    // Raises: a +30 (10%), b +20 (6.67% → 7%); cut: c −50 (16.67% → 17%). Moved 50 of 1000 = 5%.
    expect(perChannel['a']).toBe('raised a 10% (300.00 → 330.00): marginal ROI 2.00 vs 0.25 on c');
    expect(perChannel['b']).toBe('raised b 7% (300.00 → 320.00): marginal ROI 1.50 vs 0.25 on c');
    expect(perChannel['c']).toBe('cut c 17% (300.00 → 250.00): marginal ROI 0.25 vs 2.00 on a');
    expect(summary).toBe('moved 5% of the budget from c to a: marginal ROI 0.25 vs 2.00');
  });

  it('says "from zero" for a channel that had no budget', () => {
    const { perChannel } = explainReallocation({
      ...base,
      channels: ['video', 'search'],
      previous: { video: 0, search: 800 },
      next: { video: 150, search: 650 },
      marginalBefore: { video: 3, search: 1 },
      budget: 800,
    });
    expect(perChannel['video']).toBe('raised video from zero (0.00 → 150.00): marginal ROI 3.00 vs 1.00 on search');
  });

  it('has no counterpart when nothing was cut (the budget grew)', () => {
    const { perChannel } = explainReallocation({
      ...base,
      channels: ['a', 'b'],
      previous: { a: 500, b: 500 },
      next: { a: 600, b: 550 },
      marginalBefore: { a: 1.2, b: 1.1 },
      budget: 1150,
    });
    expect(perChannel['a']).toBe('raised a 20% (500.00 → 600.00): marginal ROI 1.20');
    expect(perChannel['b']).toBe('raised b 10% (500.00 → 550.00): marginal ROI 1.10');
  });

  it('treats a move below 0.01% of the budget as held', () => {
    const { perChannel, summary } = explainReallocation({
      ...base,
      next: { search: 1000.2, display: 999.8, social: 500 }, // 0.2 < 2500·1e-4 = 0.25
    });
    expect(perChannel['search']).toMatch(/^held search at 1000\.20: /);
    expect(perChannel['display']).toMatch(/^held display at 999\.80: /);
    expect(summary).toBe('no change: marginal returns are already balanced');
  });

  it('prints non-finite marginal ROIs as words', () => {
    const { perChannel } = explainReallocation({ ...base, marginalBefore: { search: Infinity, display: 0.8 } });
    expect(perChannel['search']).toContain('marginal ROI Infinity vs 0.80 on display');
    expect(perChannel['social']).toBe('held social at 500.00: marginal ROI NaN');
  });
});

describe('explainReallocation: binding notes and relaxations', () => {
  it('notes which limit held each channel', () => {
    const { perChannel } = explainReallocation({
      ...base,
      binding: ['budget', 'max:search', 'min:display', 'maxChange:social'],
    });
    expect(perChannel['search']).toMatch(/on display \(held at its max\)$/);
    expect(perChannel['display']).toMatch(/on search \(held at its min\)$/);
    expect(perChannel['social']).toBe('held social at 500.00: marginal ROI 1.00 (held at the max change per step)');
  });

  it('joins two limits on one channel', () => {
    const { perChannel } = explainReallocation({ ...base, binding: ['min:social', 'maxChange:social'] });
    expect(perChannel['social']).toBe('held social at 500.00: marginal ROI 1.00 (held at its min and the max change per step)');
  });

  it('does not attach a binding of one channel to another whose id is a suffix of it', () => {
    // Channel ids may contain ':' (config/events IDENTIFIER is [A-Za-z0-9._:-]+).
    const { perChannel } = explainReallocation({
      ...base,
      channels: ['search', 'brand:search'],
      previous: { search: 500, 'brand:search': 500 },
      next: { search: 500, 'brand:search': 500 },
      marginalBefore: { search: 1, 'brand:search': 1 },
      binding: ['budget', 'max:brand:search'],
      budget: 1000,
    });
    expect(perChannel['brand:search']).toMatch(/\(held at its max\)$/);
    expect(perChannel['search']).toBe('held search at 500.00: marginal ROI 1.00');
  });

  it('appends relaxations to every reason and to the summary', () => {
    const relaxations = ['maxChange ±20% dropped: the budget cannot be met within it', 'budget under-spent'];
    const tail = '; maxChange ±20% dropped: the budget cannot be met within it; budget under-spent';
    const { perChannel, summary } = explainReallocation({ ...base, relaxations });
    for (const id of base.channels) expect(perChannel[id]!.endsWith(tail)).toBe(true);
    expect(summary).toBe(`moved 4.8% of the budget from display to search: marginal ROI 0.80 vs 1.60${tail}`);
    const still = explainReallocation({ ...base, next: base.previous, relaxations });
    expect(still.summary).toBe(`no change: marginal returns are already balanced${tail}`);
  });
});
