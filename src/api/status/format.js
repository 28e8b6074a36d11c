/* How the status page writes numbers and times: the browser's locale, times as event time in UTC. */

const formats = new Map();

function formatter(key, options) {
  if (!formats.has(key)) formats.set(key, new Intl.NumberFormat(undefined, options));
  return formats.get(key);
}

export const finite = (v) => typeof v === 'number' && Number.isFinite(v);

/** An amount in the portfolio's currency; an em dash where there is none. */
export const money = (v, currency) =>
  finite(v) ? formatter(`money:${currency}`, { style: 'currency', currency, maximumFractionDigits: 2 }).format(v) : '—';

/** An axis tick: 1.2K, 35K. */
export const compact = (v) => (finite(v) ? formatter('compact', { notation: 'compact', maximumFractionDigits: 1 }).format(v) : '');

/** A return on spend: 1.33. */
export const ratio = (v) => (finite(v) ? v.toFixed(2) : '—');

export const percent = (v, digits = 1) => (finite(v) ? `${(v * 100).toFixed(digits)}%` : '—');

/** An ISO timestamp to the minute: 2026-03-03 05:00 UTC. */
export const utc = (iso) => (typeof iso === 'string' && iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—');

/** The same from epoch seconds (uPlot's time unit). */
export const utcSeconds = (s) => (finite(s) ? utc(new Date(s * 1000).toISOString()) : '—');

/** A 90% interval: "0.42 – 1.56", or "unknown". */
export const interval = (low, high, fmt) => (finite(low) && finite(high) ? `${fmt(low)} – ${fmt(high)}` : 'unknown');
