/**
 * A small structured logger: one JSON object per line on stdout (machines parse it), or a short
 * human line when stdout is a terminal. Fields named like secrets are redacted.
 */
import type { LogLevel } from './config/types.ts';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
  readonly level: LogLevel;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET = /token|password|secret|authorization/i;

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET.test(k) ? '[redacted]' : v;
  return out;
}

export function createLogger(
  level: LogLevel,
  options: { bindings?: Record<string, unknown>; write?: (line: string) => void; pretty?: boolean } = {},
): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const pretty = options.pretty ?? (options.write === undefined && process.stdout.isTTY === true);
  const bindings = options.bindings ?? {};
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const all = redact({ ...bindings, ...fields });
    if (pretty) {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      write(`${new Date().toISOString().slice(11, 19)} ${lvl.padEnd(5)} ${msg}${extra ? '  ' + extra : ''}`);
    } else {
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...all }));
    }
  };
  return {
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (more) => createLogger(level, { ...options, bindings: { ...bindings, ...more } }),
  };
}
