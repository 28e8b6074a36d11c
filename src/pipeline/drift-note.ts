/** Plain words for a detected change in a portfolio's response, for reasons and logs. */
import type { DriftEvent } from '../model/online/types.ts';

function hourOf(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function list(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/**
 * "change detected: revenue 14% below the model since 2026-03-12 10:00 UTC, from search;
 * re-learning it" — or, when spend did not vary enough to tell the candidates apart, every one.
 */
export function describeDrift(event: DriftEvent): string {
  const size = `${Math.round(Math.abs(event.shift) * 100)}%`;
  const way = event.direction === 'down' ? 'below' : 'above';
  const who = event.components.map((c) => (c === 'baseline' ? 'the baseline' : c));
  const blame = who.length === 1
    ? `from ${who[0]}; re-learning it`
    : `from ${list(who)} (spend did not vary enough to tell them apart); re-learning them`;
  return `change detected: revenue ${size} ${way} the model since ${hourOf(event.onset)}, ${blame}`;
}
