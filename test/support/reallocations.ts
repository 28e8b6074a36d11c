/** Checks published reallocations against the configuration: the invariants every consumer relies on. */
import type { Config } from '../../src/config/types.ts';
import type { ReallocationEvent } from '../../src/events/types.ts';

export function checkReallocations(config: Config, events: readonly ReallocationEvent[]): { versions: number; problems: string[] } {
  const problems: string[] = [];
  const groups = new Map<string, ReallocationEvent[]>();
  for (const e of events) groups.set(`${e.portfolioId}#${e.version}`, [...(groups.get(`${e.portfolioId}#${e.version}`) ?? []), e]);
  const previous = new Map<string, Map<string, number>>();
  const ordered = [...groups.entries()].sort(([, a], [, b]) => a[0]!.version - b[0]!.version);
  for (const [key, group] of ordered) {
    const portfolio = config.portfolios.find((p) => p.id === group[0]!.portfolioId);
    if (!portfolio) {
      problems.push(`${key}: unknown portfolio`);
      continue;
    }
    const ids = new Set(group.map((e) => e.channelId));
    if (ids.size !== portfolio.channels.length || group.length !== portfolio.channels.length) {
      problems.push(`${key}: ${group.length} events for ${portfolio.channels.length} channels`);
    }
    const total = group.reduce((s, e) => s + e.budget, 0);
    if (Math.abs(total - portfolio.budget) > portfolio.budget * 1e-4) problems.push(`${key}: budgets sum to ${total}, budget is ${portfolio.budget}`);
    const before = previous.get(portfolio.id);
    for (const e of group) {
      const c = portfolio.channels.find((ch) => ch.id === e.channelId);
      if (!c) {
        problems.push(`${key}: unknown channel ${e.channelId}`);
        continue;
      }
      if (e.budget < c.min - 0.005 || (c.max !== null && e.budget > c.max + 0.005)) problems.push(`${key}: ${c.id}=${e.budget} outside [${c.min}, ${c.max}]`);
      if (e.platform !== c.platform) problems.push(`${key}: ${c.id} on ${e.platform}, configured ${c.platform}`);
      const prev = before?.get(c.id);
      if (prev !== undefined) {
        if (Math.abs(e.previousBudget - prev) > 0.005) problems.push(`${key}: ${c.id} previousBudget ${e.previousBudget}, last published ${prev}`);
        const band = portfolio.maxChange * prev + 0.011;
        if (Math.abs(e.budget - prev) > band && !e.reason.includes('maxChange')) problems.push(`${key}: ${c.id} moved ${prev} → ${e.budget}, beyond ±${portfolio.maxChange}`);
      }
      if (!e.reason || e.reason.length < 5) problems.push(`${key}: ${c.id} has no reason`);
    }
    previous.set(portfolio.id, new Map(group.map((e) => [e.channelId, e.budget])));
  }
  return { versions: groups.size, problems };
}
