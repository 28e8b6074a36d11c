/**
 * Reads the layers of configuration (YAML files, SPENDFLOW_* environment variables, overrides)
 * into one map from key path to the winning value and where it came from. Nothing here judges
 * values beyond what is needed to read them; validate.ts does that on the merged result.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { errorMessage, type FieldProblem } from '../errors.ts';
import { isPlainObject } from '../events/fields.ts';
import { CONFIG_KEYS, KEY_BY_ENV, KEY_BY_PATH, PORTFOLIOS_SPEC, SECTIONS, type ConfigValue, type KeySpec } from './schema.ts';

export type Origin =
  | { readonly kind: 'default' }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'overrides' };

export interface Setting {
  readonly value: unknown;
  readonly origin: Origin;
}

/** Leaf key path (or `portfolios`) → the value that wins so far and its origin. */
export type Settings = Map<string, Setting>;

/** The environment variable naming an extra YAML file, read after the files given to the loader. */
export const CONFIG_FILE_ENV = 'SPENDFLOW_CONFIG';

export function defaultSettings(): Settings {
  const settings: Settings = new Map();
  const origin: Origin = { kind: 'default' };
  for (const spec of CONFIG_KEYS) settings.set(spec.path, { value: spec.default, origin });
  settings.set(PORTFOLIOS_SPEC.path, { value: PORTFOLIOS_SPEC.default, origin });
  return settings;
}

/** Names a problem after where its value came from: `ENV_VAR (key)` for the environment, `(in file)` for files. */
export function attribute(problem: FieldProblem, origin: Origin | undefined): FieldProblem {
  switch (origin?.kind) {
    case 'env':
      return { field: `${origin.name} (${problem.field})`, message: problem.message };
    case 'file':
      return { field: problem.field, message: `${problem.message} (in ${origin.file})` };
    case 'overrides':
      return { field: problem.field, message: `${problem.message} (in overrides)` };
    default:
      return problem;
  }
}

/** Known child names of every section path ('' is the root), for unknown-key detection and hints. */
const CHILDREN: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const children = new Map<string, Set<string>>();
  const add = (parent: string, name: string): void => {
    const set = children.get(parent) ?? new Set<string>();
    set.add(name);
    children.set(parent, set);
  };
  for (const path of [...KEY_BY_PATH.keys(), PORTFOLIOS_SPEC.path]) {
    const segments = path.split('.');
    segments.forEach((segment, i) => add(segments.slice(0, i).join('.'), segment));
  }
  return children;
})();

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** ` (did you mean x?)` when a known name is close to `name`, else ''. */
function hint(name: string, candidates: Iterable<string>, format: (c: string) => string = (c) => c): string {
  let best: { name: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { name: candidate, d };
  }
  return best ? ` (did you mean ${format(best.name)}?)` : '';
}

/**
 * Copies the keys of one parsed layer into `settings`: sections merge key by key, leaf values
 * (lists and `portfolios` included) replace what was there. Unknown keys become problems.
 */
export function applyTree(tree: unknown, origin: Origin, settings: Settings, problems: FieldProblem[]): void {
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    const known = CHILDREN.get(prefix) ?? new Set<string>();
    for (const [name, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (!known.has(name)) {
        const suggestion = hint(name, known, (c) => (prefix ? `${prefix}.${c}` : c));
        problems.push(attribute({ field: path, message: `is not a known key${suggestion}` }, origin));
      } else if (KEY_BY_PATH.has(path) || path === PORTFOLIOS_SPEC.path) {
        settings.set(path, { value, origin });
      } else if (isPlainObject(value)) {
        walk(value, path);
      } else if (value !== null) {
        // A section left empty in YAML (`kafka:`) reads as null and changes nothing.
        const keys = [...(CHILDREN.get(path) ?? [])].join(', ');
        problems.push(attribute({ field: path, message: `must be a mapping with keys ${keys}` }, origin));
      }
    }
  };
  if (tree === null || tree === undefined) return;
  if (!isPlainObject(tree)) {
    problems.push(attribute({ field: '(top level)', message: 'must be a mapping of config sections' }, origin));
    return;
  }
  walk(tree, '');
}

/** Parses one YAML file; problems (unreadable file, syntax errors) name the file and line. */
export function readYamlFile(file: string, problems: FieldProblem[], note = ''): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ field: file, message: `cannot read the config file${note}: ${errorMessage(err)}` });
    return undefined;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const where = error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : 'unknown position';
      const what = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      problems.push({ field: file, message: `YAML syntax error at ${where}: ${what}` });
    }
    return undefined;
  }
  return doc.toJS();
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses an environment value for `spec`; returns the value or what is wrong. */
export function parseEnvValue(spec: KeySpec, raw: string): { value: ConfigValue } | { error: string } {
  const text = raw.trim();
  if (spec.nullable && text === 'null') return { value: null };
  switch (spec.kind) {
    case 'integer':
      return INTEGER.test(text) && Number.isSafeInteger(Number(text))
        ? { value: Number(text) }
        : { error: `must be an integer, got "${raw}"` };
    case 'number':
      return DECIMAL.test(text) && Number.isFinite(Number(text))
        ? { value: Number(text) }
        : { error: `must be a number, got "${raw}"` };
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === '1') return { value: true };
      if (lower === 'false' || lower === '0') return { value: false };
      return { error: `must be true, false, 1 or 0, got "${raw}"` };
    }
    case 'string-list': {
      if (text === '') return { value: [] };
      const items = text.split(',').map((item) => item.trim());
      return items.includes('')
        ? { error: `must be a comma-separated list without empty entries, got "${raw}"` }
        : { value: items };
    }
    case 'string':
    case 'enum':
      return text === '' ? { error: 'is empty; unset the variable to keep the value from files or defaults' } : { value: text };
  }
}

/** Variables that claim to be config keys: SPENDFLOW_ followed by a section name. */
const CONFIG_LIKE = new RegExp(
  `^SPENDFLOW_(${[...SECTIONS.map((s) => s.name), PORTFOLIOS_SPEC.path].map((n) => n.toUpperCase()).join('|')})(_|$)`,
);

export interface EnvLayer {
  /** Parsed values, applied over the files. */
  readonly settings: readonly (readonly [string, Setting])[];
  /** The file named by SPENDFLOW_CONFIG, if set. */
  readonly configFile?: string;
  readonly problems: readonly FieldProblem[];
}

/** Reads the SPENDFLOW_* variables that are config keys; other variables are ignored. */
export function readEnv(env: Readonly<Record<string, string | undefined>>): EnvLayer {
  const settings: [string, Setting][] = [];
  const problems: FieldProblem[] = [];
  let configFile: string | undefined;
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (raw === undefined || !name.startsWith('SPENDFLOW_')) continue;
    if (name === CONFIG_FILE_ENV) {
      if (raw.trim() !== '') configFile = raw.trim();
      continue;
    }
    const spec = KEY_BY_ENV.get(name);
    if (spec) {
      const parsed = parseEnvValue(spec, raw);
      if ('error' in parsed) problems.push({ field: `${name} (${spec.path})`, message: parsed.error });
      else settings.push([spec.path, { value: parsed.value, origin: { kind: 'env', name } }]);
    } else if (name === `SPENDFLOW_${PORTFOLIOS_SPEC.path.toUpperCase()}`) {
      problems.push({ field: name, message: `portfolios cannot be set from the environment; put them in a YAML file (e.g. via ${CONFIG_FILE_ENV})` });
    } else if (CONFIG_LIKE.test(name)) {
      problems.push({ field: name, message: `is not a known setting${hint(name, KEY_BY_ENV.keys())}` });
    }
  }
  return configFile === undefined ? { settings, problems } : { settings, configFile, problems };
}
