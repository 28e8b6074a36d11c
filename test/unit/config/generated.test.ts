import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../../../src/config/loader.ts';
import { renderConfigurationMarkdown, renderDefaultYaml } from '../../../src/config/render.ts';
import { CONFIG_KEYS, envVarName, PORTFOLIOS_SPEC } from '../../../src/config/schema.ts';

const root = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const regenerate = 'out of date with src/config/schema.ts; run `npx tsx scripts/gen-config.ts`';

function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

describe('generated config files', () => {
  it('config/default.yaml on disk matches the schema', () => {
    expect(readFileSync(root('config/default.yaml'), 'utf8'), `config/default.yaml is ${regenerate}`).toBe(renderDefaultYaml());
  });

  it('docs/configuration.md on disk matches the schema', () => {
    expect(readFileSync(root('docs/configuration.md'), 'utf8'), `docs/configuration.md is ${regenerate}`)
      .toBe(renderConfigurationMarkdown());
  });

  it('config/default.yaml loads back to exactly defaultConfig()', () => {
    const config = loadConfig({ files: [root('config/default.yaml')] });
    expect(config).toEqual(defaultConfig());
    expect(config.model.ridge).toBe(1);
    expect(config.simulator.enabled).toBe('auto');
  });

  it('documents every key with its env var and default, and every portfolio field', () => {
    const markdown = renderConfigurationMarkdown();
    const yaml = renderDefaultYaml();
    for (const spec of CONFIG_KEYS) {
      expect(markdown).toContain(`| \`${spec.path}\` | \`${spec.env}\` |`);
      expect(yaml).toContain(`# Environment: ${spec.env}\n`);
      expect(spec.doc.length).toBeGreaterThan(20);
    }
    for (const field of [...PORTFOLIOS_SPEC.fields, ...PORTFOLIOS_SPEC.channelFields]) {
      expect(markdown).toContain(`| \`${field.name}\` |`);
    }
    expect(markdown).toContain('SPENDFLOW_CONFIG');
    expect(markdown).toContain('--config');
  });
});

describe('schema', () => {
  it('has exactly one spec per leaf of Config (portfolios aside)', () => {
    const { portfolios: _portfolios, ...rest } = defaultConfig();
    expect(CONFIG_KEYS.map((k) => k.path).sort()).toEqual(leafPaths(rest).sort());
  });

  it('derives env var names from the path, splitting camelCase', () => {
    expect(envVarName('ingest.bucketMinutes')).toBe('SPENDFLOW_INGEST_BUCKET_MINUTES');
    expect(envVarName('kafka.topics.reallocationsPrefix')).toBe('SPENDFLOW_KAFKA_TOPICS_REALLOCATIONS_PREFIX');
    expect(envVarName('service.port')).toBe('SPENDFLOW_SERVICE_PORT');
    expect(new Set(CONFIG_KEYS.map((k) => k.env)).size).toBe(CONFIG_KEYS.length);
    for (const spec of CONFIG_KEYS) expect(spec.env).toBe(envVarName(spec.path));
  });
});
