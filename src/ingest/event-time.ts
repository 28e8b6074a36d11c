/**
 * Bounds on an event's time, checked after decoding and before bucketing. Pure: the wall clock
 * and the portfolio's latest event time come in as arguments.
 *
 * - Future: at most `maxJumpHours` ahead of the later of the portfolio's latest event time and
 *   the wall clock. Comparing with the latest event time alone would let the first event of a
 *   portfolio be in year 2099 and wedge it (every later event would be late).
 * - Past: at most `maxAgeHours` behind the wall clock, so a stray old time cannot anchor a
 *   portfolio in the past.
 */
export interface EventTimeContext {
  /** The portfolio's latest accepted event time, epoch ms; -Infinity if it has none. */
  readonly latestEventTime: number;
  /** Wall-clock time now, epoch ms. */
  readonly wallNow: number;
  /** `ingest.maxEventTimeJumpHours`. */
  readonly maxJumpHours: number;
  /** `ingest.maxEventAgeHours`. */
  readonly maxAgeHours: number;
}

export interface EventTimeProblem {
  readonly field: 'ts';
  readonly message: string;
}

const HOUR_MS = 3_600_000;

/** A problem with `ts` (epoch ms), or null when it is within both bounds (the bounds themselves included). */
export function checkEventTime(ts: number, ctx: EventTimeContext): EventTimeProblem | null {
  if (!Number.isFinite(ts)) return { field: 'ts', message: `must be a finite time (got ${ts})` };
  const fromLatest = ctx.latestEventTime > ctx.wallNow;
  const reference = fromLatest ? ctx.latestEventTime : ctx.wallNow;
  const ahead = ts - reference;
  if (ahead > ctx.maxJumpHours * HOUR_MS) {
    const what = fromLatest ? "the portfolio's latest event time" : 'the wall clock';
    return {
      field: 'ts',
      message: `is ${hours(ahead)} hours ahead of ${what} (${iso(reference)}); the limit is ${ctx.maxJumpHours} hours (ingest.maxEventTimeJumpHours)`,
    };
  }
  const behind = ctx.wallNow - ts;
  if (behind > ctx.maxAgeHours * HOUR_MS) {
    return {
      field: 'ts',
      message: `is ${hours(behind)} hours before the wall clock (${iso(ctx.wallNow)}); the limit is ${ctx.maxAgeHours} hours (ingest.maxEventAgeHours)`,
    };
  }
  return null;
}

/** Hours with one decimal, never rounded down to the limit itself ("168.0" for 168 h + 1 ms reads as 168.1). */
function hours(ms: number): string {
  return (Math.ceil((ms / HOUR_MS) * 10) / 10).toFixed(1);
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}
