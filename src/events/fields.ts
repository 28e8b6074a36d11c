import type { FieldProblem } from '../errors.ts';

/**
 * Reads fields of an untrusted JSON object, collecting one problem per bad field instead of
 * stopping at the first, so a dead letter (or an HTTP 400) names everything that is wrong.
 */
export class FieldReader {
  readonly problems: FieldProblem[] = [];
  private readonly obj: Record<string, unknown>;
  private readonly prefix: string;

  constructor(obj: Record<string, unknown>, prefix = '') {
    this.obj = obj;
    this.prefix = prefix;
  }

  private path(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  private fail(name: string, message: string): undefined {
    this.problems.push({ field: this.path(name), message });
    return undefined;
  }

  has(name: string): boolean {
    return this.obj[name] !== undefined && this.obj[name] !== null;
  }

  /** A non-empty string of at most `maxLength` characters. */
  string(name: string, opts: { optional?: boolean; maxLength?: number; pattern?: RegExp } = {}): string | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return opts.optional ? undefined : this.fail(name, 'is required');
    if (typeof v !== 'string' || v.trim() === '') return this.fail(name, 'must be a non-empty string');
    const max = opts.maxLength ?? 200;
    if (v.length > max) return this.fail(name, `must be at most ${max} characters`);
    if (opts.pattern && !opts.pattern.test(v)) return this.fail(name, `must match ${opts.pattern}`);
    return v;
  }

  /** A finite number within [min, max]. */
  number(name: string, opts: { optional?: boolean; min?: number; max?: number; integer?: boolean } = {}): number | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return opts.optional ? undefined : this.fail(name, 'is required');
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(name, 'must be a finite number');
    if (opts.integer && !Number.isInteger(v)) return this.fail(name, 'must be an integer');
    if (opts.min !== undefined && v < opts.min) return this.fail(name, `must be >= ${opts.min} (got ${v})`);
    if (opts.max !== undefined && v > opts.max) return this.fail(name, `must be <= ${opts.max} (got ${v})`);
    return v;
  }

  /** An event time: an ISO-8601 string with a time zone, or epoch milliseconds. Returns epoch ms. */
  timestamp(name: string): number | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return this.fail(name, 'is required');
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0) return this.fail(name, 'must be epoch milliseconds (a non-negative integer)');
      return v >= EARLIEST && v < LATEST ? v : this.fail(name, 'must be between 2000-01-01 and 2100-01-01');
    }
    if (typeof v !== 'string' || !ISO_WITH_ZONE.test(v)) {
      return this.fail(name, 'must be an ISO-8601 time with a zone (e.g. 2026-01-05T10:00:00Z) or epoch milliseconds');
    }
    const ms = Date.parse(v);
    if (Number.isNaN(ms) || !isRealCalendarTime(v)) return this.fail(name, 'is not a valid date-time');
    return ms >= EARLIEST && ms < LATEST ? ms : this.fail(name, 'must be between 2000-01-01 and 2100-01-01');
  }

  /** Flags keys that the schema does not know, so typos do not pass silently. */
  rejectUnknown(known: readonly string[]): void {
    for (const key of Object.keys(this.obj)) {
      if (!known.includes(key)) this.fail(key, 'is not a known field');
    }
  }
}

/** Event times outside this range are typos or unit mistakes (seconds for milliseconds, say). */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/** Date.parse rolls 2026-02-30 over into March and accepts 24:00; a real event time does neither. */
function isRealCalendarTime(iso: string): boolean {
  const [y, mo, d, h, mi, sec] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16), iso.slice(17, 19)].map(Number);
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  return mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= daysInMonth && h! <= 23 && mi! <= 59 && (Number.isNaN(sec) || sec! <= 59);
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Currency codes are ISO 4217: three upper-case letters. */
export const CURRENCY = /^[A-Z]{3}$/;
/** Identifiers: letters, digits and `._:-`, as used in Kafka keys and topic names. */
export const IDENTIFIER = /^[A-Za-z0-9._:-]+$/;
