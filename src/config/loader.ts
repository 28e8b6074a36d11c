/**
 * Builds the one validated, frozen `Config`: schema defaults, then each YAML file in order, then
 * the file named by SPENDFLOW_CONFIG, then SPENDFLOW_* environment variables, then `overrides`.
 * Every problem from every layer is collected and reported in a single CONFIG_INVALID error.
 */
import { SpendflowError, describeProblems, type FieldProblem } from '../errors.ts';
import { CONFIG_KEYS, PORTFOLIOS_SPEC, type ConfigKeyPath } from './schema.ts';
import { CONFIG_FILE_ENV, applyTree, attribute, defaultSettings, readEnv, readYamlFile, type Settings } from './sources.ts';
import type { Config } from './types.ts';
import { checkKeyRelations, checkPortfolios, checkValue } from './validate.ts';

export interface LoadConfigOptions {
  /** YAML files applied in order; later files win. Relative paths are resolved against the working directory. */
  readonly files?: readonly string[] | undefined;
  /**
   * Environment to read SPENDFLOW_* variables (and SPENDFLOW_CONFIG) from. Not read implicitly:
   * pass `process.env` in the service, leave it out in tests.
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** A plain object shaped like the YAML, applied last (tests). */
  readonly overrides?: unknown;
}

/** Freezes an object graph in place, arrays included, and returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function copy(value: unknown): unknown {
  return Array.isArray(value) ? value.map(copy) : value;
}

function setPath(tree: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  const last = segments.pop() ?? path;
  let node = tree;
  for (const segment of segments) {
    const next = node[segment];
    if (typeof next === 'object' && next !== null) {
      node = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[segment] = created;
      node = created;
    }
  }
  node[last] = value;
}

/** Validates the merged settings and assembles the `Config`, or returns every problem. */
function assemble(settings: Settings): { config?: Config; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const valid = new Map<string, unknown>();
  for (const spec of CONFIG_KEYS) {
    const setting = settings.get(spec.path);
    const message = checkValue(spec, setting?.value);
    if (message) problems.push(attribute({ field: spec.path, message }, setting?.origin));
    else valid.set(spec.path, setting?.value ?? null);
  }
  for (const problem of checkKeyRelations((path: ConfigKeyPath) => valid.get(path))) {
    problems.push(attribute(problem, settings.get(problem.field)?.origin));
  }
  const portfoliosSetting = settings.get(PORTFOLIOS_SPEC.path);
  const { portfolios, problems: portfolioProblems } = checkPortfolios(portfoliosSetting?.value);
  problems.push(...portfolioProblems.map((p) => attribute(p, portfoliosSetting?.origin)));
  if (problems.length > 0 || !portfolios) return { problems };

  const tree: Record<string, unknown> = {};
  for (const [path, value] of valid) setPath(tree, path, copy(value));
  tree[PORTFOLIOS_SPEC.path] = portfolios;
  // Every leaf of Config was checked against its spec above, and schema.ts proves at compile time
  // that the specs cover exactly the leaves of Config with matching default types.
  return { config: tree as unknown as Config, problems };
}

/**
 * Loads and validates the configuration. Throws one SpendflowError('CONFIG_INVALID') listing
 * every problem (`.problems` holds them); returns a deeply frozen Config on success.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const problems: FieldProblem[] = [];
  const settings = defaultSettings();
  const envLayer = readEnv(options.env ?? {});

  const files: { file: string; note: string }[] = (options.files ?? []).map((file) => ({ file, note: '' }));
  if (envLayer.configFile !== undefined) files.push({ file: envLayer.configFile, note: ` named by ${CONFIG_FILE_ENV}` });
  for (const { file, note } of files) {
    const tree = readYamlFile(file, problems, note);
    if (tree !== undefined) applyTree(tree, { kind: 'file', file }, settings, problems);
  }

  problems.push(...envLayer.problems);
  for (const [path, setting] of envLayer.settings) settings.set(path, setting);

  if (options.overrides !== undefined) applyTree(options.overrides, { kind: 'overrides' }, settings, problems);

  const { config, problems: invalid } = assemble(settings);
  problems.push(...invalid);
  if (problems.length > 0 || !config) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new SpendflowError('CONFIG_INVALID', `Invalid configuration (${count}):\n${describeProblems(problems)}`, { problems });
  }
  return deepFreeze(config);
}

/** The schema defaults alone, validated and deeply frozen; a fresh object on every call. */
export function defaultConfig(): Config {
  return loadConfig({});
}

/** True when no Kafka brokers are configured: events travel over the in-process bus. */
export function isEmbedded(config: Config): boolean {
  return config.kafka.brokers.length === 0;
}

/** Whether the simulator runs: `auto` means on when embedded, off with Kafka. */
export function simulatorEnabled(config: Config): boolean {
  switch (config.simulator.enabled) {
    case 'on':
      return true;
    case 'off':
      return false;
    case 'auto':
      return isEmbedded(config);
  }
}
