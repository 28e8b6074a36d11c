/**
 * Plain-language reasons for a reallocation, for analysts and for the ad platforms' logs:
 * "raised search 12% (1000.00 → 1120.00): marginal ROI 1.60 vs 0.80 on display".
 */
export interface ReasonInput {
  readonly channels: readonly string[];
  readonly previous: Readonly<Record<string, number>>;
  readonly next: Readonly<Record<string, number>>;
  /** Marginal ROI at the previous allocation: what made money move. */
  readonly marginalBefore: Readonly<Record<string, number>>;
  readonly binding: readonly string[];
  readonly relaxations: readonly string[];
  readonly budget: number;
}

const money = (v: number) => v.toFixed(2);
const roi = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : String(v));
const pct = (from: number, to: number) => (from > 0 ? `${Math.round((Math.abs(to - from) / from) * 100)}%` : 'from zero');

function limits(id: string, binding: readonly string[]): string {
  // Binding entries are `<kind>:<channel id>`; ids may themselves contain ':'.
  const hit = binding.filter((b) => b.slice(b.indexOf(':') + 1) === id).map((b) => b.slice(0, b.indexOf(':')));
  if (hit.length === 0) return '';
  const words = hit.map((k) => (k === 'maxChange' ? 'the max change per step' : k === 'max' ? 'its max' : 'its min'));
  return ` (held at ${words.join(' and ')})`;
}

export function explainReallocation(input: ReasonInput): { summary: string; perChannel: Record<string, string> } {
  const delta = (id: string) => (input.next[id] ?? 0) - (input.previous[id] ?? 0);
  const sorted = [...input.channels].sort((a, b) => delta(b) - delta(a));
  const gainer = sorted[0];
  const loser = sorted[sorted.length - 1];
  const moved = input.channels.reduce((s, id) => s + Math.max(0, delta(id)), 0);
  const tail = input.relaxations.length > 0 ? `; ${input.relaxations.join('; ')}` : '';
  const perChannel: Record<string, string> = {};
  const minMove = input.budget * 1e-4;
  for (const id of input.channels) {
    const from = input.previous[id] ?? 0;
    const to = input.next[id] ?? 0;
    const mine = roi(input.marginalBefore[id] ?? NaN);
    if (Math.abs(to - from) < minMove) {
      perChannel[id] = `held ${id} at ${money(to)}: marginal ROI ${mine}${limits(id, input.binding)}${tail}`;
    } else if (to > from) {
      const other = loser !== undefined && loser !== id && delta(loser) < 0 ? loser : undefined;
      const vs = other ? ` vs ${roi(input.marginalBefore[other] ?? NaN)} on ${other}` : '';
      perChannel[id] = `raised ${id} ${pct(from, to)} (${money(from)} → ${money(to)}): marginal ROI ${mine}${vs}${limits(id, input.binding)}${tail}`;
    } else {
      const other = gainer !== undefined && gainer !== id && delta(gainer) > 0 ? gainer : undefined;
      const vs = other ? ` vs ${roi(input.marginalBefore[other] ?? NaN)} on ${other}` : '';
      perChannel[id] = `cut ${id} ${pct(from, to)} (${money(from)} → ${money(to)}): marginal ROI ${mine}${vs}${limits(id, input.binding)}${tail}`;
    }
  }
  const cut = input.channels.reduce((s, id) => s + Math.max(0, -delta(id)), 0);
  let summary: string;
  if (moved < minMove && cut >= minMove && loser !== undefined) {
    // Nothing rose: spend went down as a whole (a budget cut, a ROAS floor).
    const share = Math.round((cut / Math.max(input.budget, cut)) * 1000) / 10;
    summary = `cut ${share}% of the spend, most from ${loser} (marginal ROI ${roi(input.marginalBefore[loser] ?? NaN)})${tail}`;
  } else if (moved < minMove || gainer === undefined || loser === undefined) {
    summary = `no change: marginal returns are already balanced${tail}`;
  } else {
    const share = Math.round((moved / input.budget) * 1000) / 10;
    summary =
      `moved ${share}% of the budget from ${loser} to ${gainer}: marginal ROI ` +
      `${roi(input.marginalBefore[loser] ?? NaN)} vs ${roi(input.marginalBefore[gainer] ?? NaN)}${tail}`;
  }
  return { summary, perChannel };
}
