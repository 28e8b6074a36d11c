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
    this.problems.push({ field: this.path(displayFieldName(name)), message });
    return undefined;
  }

  has(name: string): boolean {
    return this.obj[name] !== undefined && this.obj[name] !== null;
  }

  /** A non-empty string of at most `maxLength` characters. */
  string(name: string, opts: { optional?: boolean; maxLength?: number; pattern?: RegExp } = {}): string | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return opts.optional ? undefined : this.fail(name, 'is required');
    if (typeof v !== 'string') return this.fail(name, `must be a non-empty string (got ${describeJsonType(v)})`);
    if (v.trim() === '') return this.fail(name, 'must be a non-empty string');
    const max = opts.maxLength ?? 200;
    if (v.length > max) return this.fail(name, `must be at most ${max} characters`);
    if (opts.pattern && !opts.pattern.test(v)) return this.fail(name, `must match ${opts.pattern}`);
    return v;
  }

  /** A finite number within [min, max]. */
  number(name: string, opts: { optional?: boolean; min?: number; max?: number; integer?: boolean } = {}): number | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return opts.optional ? undefined : this.fail(name, 'is required');
    if (typeof v === 'string') return this.fail(name, `must be a finite number, not a string (got ${quoteShort(v)}; send numbers unquoted)`);
    if (typeof v !== 'number') return this.fail(name, `must be a finite number (got ${describeJsonType(v)})`);
    if (!Number.isFinite(v)) return this.fail(name, `must be a finite number (got ${v})`);
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
    if (typeof v === 'string' && v.length > MAX_TIME_LENGTH) return this.fail(name, `must be at most ${MAX_TIME_LENGTH} characters`);
    if (typeof v !== 'string' || !ISO_WITH_ZONE.test(v)) {
      return this.fail(name, 'must be an ISO-8601 time with a zone (e.g. 2026-01-05T10:00:00Z) or epoch milliseconds');
    }
    const ms = Date.parse(v);
    if (Number.isNaN(ms) || !isRealCalendarTime(v)) return this.fail(name, 'is not a valid date-time');
    return ms >= EARLIEST && ms < LATEST ? ms : this.fail(name, 'must be between 2000-01-01 and 2100-01-01');
  }

  /**
   * Flags keys that the schema does not know, so typos do not pass silently. At most
   * `MAX_UNKNOWN_FIELDS` are named; the rest are counted in one more problem, so a record with
   * thousands of junk keys does not make a dead letter many times its own size.
   */
  rejectUnknown(known: readonly string[]): void {
    let unknown = 0;
    for (const key of Object.keys(this.obj)) {
      if (known.includes(key)) continue;
      unknown += 1;
      if (unknown <= MAX_UNKNOWN_FIELDS) this.fail(key, 'is not a known field');
    }
    if (unknown > MAX_UNKNOWN_FIELDS) {
      const more = unknown - MAX_UNKNOWN_FIELDS;
      this.problems.push({ field: this.prefix || '(root)', message: `has ${more} more unknown field${more === 1 ? '' : 's'} (${unknown} in all)` });
    }
  }
}

/** Unknown fields named one by one; the rest are counted. */
export const MAX_UNKNOWN_FIELDS = 10;
/** A field name longer than this (an unknown key, from untrusted input) is cut short where it is reported. */
export const MAX_FIELD_NAME_LENGTH = 64;
/** The longest valid time, `2026-01-05T11:15:00.250+01:00`, has 29; anything much longer is junk. */
const MAX_TIME_LENGTH = 64;

/**
 * A field name as it may appear in a problem: an empty name as `""`, lone UTF-16 surrogates
 * (which no UTF-8 encoder can write) as U+FFFD, and a long name cut to `MAX_FIELD_NAME_LENGTH`
 * characters plus `… (N characters)`, without splitting a surrogate pair.
 */
export function displayFieldName(name: string): string {
  if (name === '') return '""';
  const wellFormed = toWellFormed(name);
  if (wellFormed.length <= MAX_FIELD_NAME_LENGTH) return wellFormed;
  let end = MAX_FIELD_NAME_LENGTH;
  const last = wellFormed.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${wellFormed.slice(0, end)}… (${wellFormed.length} characters)`;
}

/** `s` with each lone surrogate replaced by U+FFFD (String.prototype.toWellFormed is ES2024). */
function toWellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** How a JSON value's type is named in a problem: `a string`, `an array`, `null` … */
export function describeJsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return 'a boolean';
    case 'object': return 'an object';
    default: return typeof v;
  }
}

/** A string value quoted for a message, at most 24 characters of it. */
function quoteShort(v: string): string {
  const shown = toWellFormed(v.length > 24 ? v.slice(0, 24) : v);
  return v.length > 24 ? `${JSON.stringify(shown)}…` : JSON.stringify(shown);
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
