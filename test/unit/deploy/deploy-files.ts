/**
 * Reading the deployment files for users the way their tools do. Docker does not run here, so
 * docker-compose.yml goes through Debian's `docker-compose config`, which validates, interpolates
 * and resolves the file without an engine; its resolved output is read back. The other files
 * (Dockerfile, prometheus.yml, Grafana's provisioning and boards) are parsed directly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type Tree = Record<string, unknown>;

export interface Service {
  readonly image?: string;
  readonly build?: string | { context?: string };
  readonly environment?: Record<string, string | number | boolean | null>;
  readonly volumes?: readonly (string | { source?: string; target?: string })[];
  readonly ports?: readonly (string | { published?: string | number; target?: string | number })[];
  readonly depends_on?: Record<string, { condition?: string }> | readonly string[];
  readonly healthcheck?: { test?: string | readonly string[] };
}

export interface ResolvedCompose {
  readonly services: Record<string, Service>;
  readonly volumes?: Record<string, unknown>;
}

export function repoText(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export function readYaml(path: string): Tree {
  return parse(repoText(path)) as Tree;
}

/** Names of the variables docker-compose.yml interpolates (`${NAME…}`). */
export function interpolatedVariables(): string[] {
  return [...new Set([...repoText('docker-compose.yml').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? ''))].sort();
}

/** `docker-compose config` and what it printed; its exit status is left to the caller. */
export function runComposeConfig(vars: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  // The environment without any variable the compose file interpolates, plus `vars`; an empty env
  // file stands in for a developer's `.env`, so neither a shell nor a local .env changes the result.
  const env: Record<string, string> = {};
  const interpolated = new Set(interpolatedVariables());
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !interpolated.has(name)) env[name] = value;
  const envFile = join(mkdtempSync(join(tmpdir(), 'spendflow-compose-')), 'empty.env');
  writeFileSync(envFile, '');
  const res = spawnSync('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yml', 'config'], {
    cwd: ROOT,
    env: { ...env, ...vars },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'docker-compose is not on PATH: these tests validate docker-compose.yml with it. ' +
        "Install Debian's docker-compose package (apt-get install docker-compose); npm test installs it when run as root.",
    );
  }
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** The resolved compose file; throws with docker-compose's message when it is invalid. */
export function composeConfig(vars: Record<string, string>): ResolvedCompose {
  const res = runComposeConfig(vars);
  if (res.status !== 0) throw new Error(`docker-compose config failed (exit ${res.status}):\n${res.stderr}`);
  return parse(res.stdout) as ResolvedCompose;
}

/** Bind mounts and volumes as `source → target`, for the short (1.x) and long (v2) output forms. */
export function mounts(service: Service): { source: string; target: string }[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      return { source, target };
    }
    return { source: v.source ?? '', target: v.target ?? '' };
  });
}

/** Published ports as `published → target` (container port). */
export function ports(service: Service): { published: string; target: string }[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'string') {
      const [published = '', target = published] = p.split(':');
      return { published, target };
    }
    return { published: String(p.published), target: String(p.target) };
  });
}

export function envOf(service: Service | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(service?.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

export function healthcheckCommand(service: Service): string {
  return [service.healthcheck?.test ?? []].flat().join(' ');
}

export interface Dockerfile {
  readonly from: string[];
  readonly instructions: { readonly op: string; readonly args: string }[];
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
export function readDockerfile(): Dockerfile {
  const logical: string[] = [];
  let current = '';
  for (const raw of repoText('Dockerfile').split('\n')) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  const instructions = logical.map((l) => {
    const m = /^(\S+)\s+(.*)$/.exec(l);
    return { op: (m?.[1] ?? l).toUpperCase(), args: m?.[2] ?? '' };
  });
  return { from: instructions.filter((i) => i.op === 'FROM').map((i) => i.args), instructions };
}

/** `ENV A=1 B=2` instructions as one map (the `KEY=value` form only). */
export function dockerfileEnv(file: Dockerfile): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of file.instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1] ?? ''] = (m[2] ?? '').replace(/^"|"$/g, '');
  }
  return env;
}

/** An exec-form (`["a", "b"]`) instruction's words; shell form is split on spaces. */
export function execWords(args: string): string[] {
  return args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
}
