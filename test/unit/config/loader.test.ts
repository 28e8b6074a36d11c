import { describe, expect, it } from 'vitest';
import { defaultConfig, isEmbedded, loadConfig, simulatorEnabled } from '../../../src/config/loader.ts';
import { configError, tempFile } from './helpers.ts';

describe('loadConfig defaults', () => {
  it('returns the schema defaults when nothing is given', () => {
    const config = loadConfig({});
    expect(config).toEqual(defaultConfig());
    expect(config.service).toEqual({ host: '127.0.0.1', port: 8080, logLevel: 'info' });
    expect(config.kafka.brokers).toEqual([]);
    expect(config.kafka.topics.reallocationsPrefix).toBe('spendflow.reallocations.');
    expect(config.ingest.bucketMinutes).toBe(60);
    expect(config.simulator.start).toBeNull();
    expect(config.portfolios.map((p) => p.id)).toEqual(['demo-shop', 'demo-outdoor']);
    expect(config.portfolios[0]?.channels.map((c) => [c.id, c.platform, c.min, c.max, c.initialShare])).toEqual([
      ['search', 'google-ads', 200, 1200, null],
      ['shopping', 'google-ads', 100, 1000, null],
      ['social', 'meta', 100, 1000, null],
      ['display', 'criteo', 0, 600, null],
    ]);
  });

  it('freezes the whole config, arrays included', () => {
    const config = loadConfig({ overrides: { kafka: { brokers: ['k1:9092'] } } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka.topics)).toBe(true);
    expect(Object.isFrozen(config.kafka.brokers)).toBe(true);
    expect(Object.isFrozen(config.portfolios)).toBe(true);
    expect(Object.isFrozen(config.portfolios[0]?.channels[0])).toBe(true);
    expect(() => {
      (config.service as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('gives a new object on every call, so freezing one does not affect the schema', () => {
    const a = defaultConfig();
    const b = defaultConfig();
    expect(a).not.toBe(b);
    expect(a.kafka.brokers).not.toBe(b.kafka.brokers);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('loadConfig layers', () => {
  it('deep-merges files in order and replaces lists and portfolios wholesale', () => {
    const first = tempFile('first.yaml', [
      'kafka:',
      '  brokers: ["a:9092", "b:9092"]',
      '  topics:',
      '    spend: first.spend',
      'service:',
      '  port: 9000',
    ].join('\n'));
    const second = tempFile('second.yaml', [
      'kafka:',
      '  brokers: ["c:9092"]',
      '  topics:',
      '    sales: second.sales',
      'portfolios:',
      '  - id: only',
      '    currency: GBP',
      '    budget: 10',
      '    maxChange: 0.5',
      '    channels:',
      '      - { id: search, platform: google-ads, min: 1 }',
    ].join('\n'));
    const config = loadConfig({ files: [first, second] });
    expect(config.kafka.brokers).toEqual(['c:9092']);
    expect(config.kafka.topics.spend).toBe('first.spend');
    expect(config.kafka.topics.sales).toBe('second.sales');
    expect(config.kafka.topics.dlq).toBe('spendflow.dlq');
    expect(config.service.port).toBe(9000);
    expect(config.portfolios).toEqual([
      { id: 'only', currency: 'GBP', budget: 10, maxChange: 0.5,
        channels: [{ id: 'search', platform: 'google-ads', min: 1, max: null, initialShare: null }] },
    ]);
  });

  it('applies env over files and overrides over env', () => {
    const file = tempFile('a.yaml', 'service:\n  port: 9000\n  host: 0.0.0.0\n');
    const config = loadConfig({
      files: [file],
      env: { SPENDFLOW_SERVICE_PORT: '9100', SPENDFLOW_SERVICE_LOG_LEVEL: 'debug' },
      overrides: { service: { logLevel: 'warn' } },
    });
    expect(config.service).toEqual({ host: '0.0.0.0', port: 9100, logLevel: 'warn' });
  });

  it('reads every kind of value from the environment', () => {
    const config = loadConfig({
      env: {
        SPENDFLOW_KAFKA_BROKERS: ' k1:9092 , k2:9093,k3:9094 ',
        SPENDFLOW_INGEST_BUCKET_MINUTES: '15',
        SPENDFLOW_MODEL_RIDGE: '0.25',
        SPENDFLOW_KAFKA_CREATE_TOPICS: 'false',
        SPENDFLOW_SIMULATOR_ENABLED: 'on',
        SPENDFLOW_SIMULATOR_START: 'null',
        SPENDFLOW_SIMULATOR_SCENARIO: 'spiky',
      },
      overrides: { simulator: { start: '2026-01-05T00:00:00Z' } },
    });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9093', 'k3:9094']);
    expect(config.ingest.bucketMinutes).toBe(15);
    expect(config.model.ridge).toBe(0.25);
    expect(config.kafka.createTopics).toBe(false);
    expect(config.simulator.enabled).toBe('on');
    expect(config.simulator.scenario).toBe('spiky');
    // overrides win over env
    expect(config.simulator.start).toBe('2026-01-05T00:00:00Z');
  });

  it('accepts 1/0 for booleans, null for nullable keys and an empty list', () => {
    const file = tempFile('a.yaml', 'kafka:\n  brokers: ["k:9092"]\n  createTopics: false\nsimulator:\n  start: "2026-01-05T00:00:00+01:00"\n');
    const config = loadConfig({
      files: [file],
      env: { SPENDFLOW_KAFKA_CREATE_TOPICS: '1', SPENDFLOW_SIMULATOR_START: 'null', SPENDFLOW_KAFKA_BROKERS: '' },
    });
    expect(config.kafka.createTopics).toBe(true);
    expect(config.simulator.start).toBeNull();
    expect(config.kafka.brokers).toEqual([]);
  });

  it('rejects values that do not parse strictly, naming the variable and the key', () => {
    const err = configError(() => loadConfig({
      env: {
        SPENDFLOW_SERVICE_PORT: '8o80',
        SPENDFLOW_MODEL_RIDGE: '1,5',
        SPENDFLOW_KAFKA_CREATE_TOPICS: 'yes',
        SPENDFLOW_SERVICE_LOG_LEVEL: 'loud',
        SPENDFLOW_KAFKA_BROKERS: 'a:1,,b:2',
      },
    }));
    expect(err.problems.map((p) => p.field).sort()).toEqual([
      'SPENDFLOW_KAFKA_BROKERS (kafka.brokers)',
      'SPENDFLOW_KAFKA_CREATE_TOPICS (kafka.createTopics)',
      'SPENDFLOW_MODEL_RIDGE (model.ridge)',
      'SPENDFLOW_SERVICE_LOG_LEVEL (service.logLevel)',
      'SPENDFLOW_SERVICE_PORT (service.port)',
    ]);
    expect(err.message).toContain('  - SPENDFLOW_SERVICE_PORT (service.port): must be an integer, got "8o80"');
    expect(err.message).toContain('must be one of debug, info, warn, error, silent (got "loud")');
  });

  it('rejects unknown SPENDFLOW_ variables that look like config keys and ignores the rest', () => {
    const err = configError(() => loadConfig({
      env: { SPENDFLOW_KAFKA_BROKER: 'k:9092', SPENDFLOW_PORTFOLIOS: '[]', SPENDFLOW_CACHE: '/tmp/x', PATH: '/bin' },
    }));
    expect(err.problems).toHaveLength(2);
    expect(err.problems[0]).toEqual({ field: 'SPENDFLOW_KAFKA_BROKER', message: 'is not a known setting (did you mean SPENDFLOW_KAFKA_BROKERS?)' });
    expect(err.problems[1]?.field).toBe('SPENDFLOW_PORTFOLIOS');
    expect(loadConfig({ env: { SPENDFLOW_CACHE: '/tmp/x' } }).kafka.brokers).toEqual([]);
  });

  it('applies the file named by SPENDFLOW_CONFIG after the given files and before env', () => {
    const base = tempFile('base.yaml', 'service:\n  port: 9000\n  host: 10.0.0.1\nmodel:\n  ridge: 3\n');
    const extra = tempFile('extra.yaml', 'service:\n  port: 9500\nmodel:\n  ridge: 4\n');
    const config = loadConfig({
      files: [base],
      env: { SPENDFLOW_CONFIG: extra, SPENDFLOW_MODEL_RIDGE: '5' },
    });
    expect(config.service.port).toBe(9500);
    expect(config.service.host).toBe('10.0.0.1');
    expect(config.model.ridge).toBe(5);
  });

  it('reports a missing SPENDFLOW_CONFIG file by name', () => {
    const err = configError(() => loadConfig({ env: { SPENDFLOW_CONFIG: '/nonexistent/spendflow.yaml' } }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.field).toBe('/nonexistent/spendflow.yaml');
    expect(err.problems[0]?.message).toContain('named by SPENDFLOW_CONFIG');
  });

  it('names the file and line of a YAML syntax error', () => {
    const file = tempFile('broken.yaml', 'service:\n  port: 9000\n host: x\n');
    const err = configError(() => loadConfig({ files: [file] }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.field).toBe(file);
    expect(err.problems[0]?.message).toMatch(/^YAML syntax error at line 3, column \d+: /);
    expect(err.message).toContain(`  - ${file}: YAML syntax error at line 3`);
  });

  it('treats an empty file or an empty section as no change', () => {
    const empty = tempFile('empty.yaml', '# nothing here\n');
    const section = tempFile('section.yaml', 'kafka:\n');
    expect(loadConfig({ files: [empty, section] })).toEqual(defaultConfig());
  });

  it('checks rules between keys', () => {
    const err = configError(() => loadConfig({
      overrides: { ingest: { bucketMinutes: 5, allowedLatenessMinutes: 120 }, model: { minBuckets: 10, windowBuckets: 5 } },
    }));
    expect(err.problems.map((p) => p.field)).toEqual(['ingest.allowedLatenessMinutes', 'model.minBuckets']);
    expect(err.problems[0]?.message).toContain('(in overrides)');
  });
});

describe('loadConfig with many problems at once', () => {
  it('reports every problem from env, files and validation in one error', () => {
    const file = tempFile('many.yaml', [
      'kafka:',
      '  broker: ["localhost:9092"]',
      '  topics:',
      '    dlq: "dead letters!"',
      'portfolios:',
      '  - id: shop',
      '    currency: EUR',
      '    budget: 100',
      '    maxChange: 0.2',
      '    channels:',
      '      - { id: search, platform: google-ads, min: 80, max: 50 }',
      '      - { id: social, platform: meta, min: 40 }',
      '      - { id: search, platform: meta, min: 0 }',
    ].join('\n'));
    const err = configError(() => loadConfig({ files: [file], env: { SPENDFLOW_SERVICE_PORT: '8o80' } }));
    const fields = err.problems.map((p) => p.field);
    expect(fields.sort()).toEqual([
      'SPENDFLOW_SERVICE_PORT (service.port)',
      'kafka.broker',
      'kafka.topics.dlq',
      'portfolios[0].channels',
      'portfolios[0].channels[0].max',
      'portfolios[0].channels[2].id',
    ]);
    const byField = new Map(err.problems.map((p) => [p.field, p.message]));
    expect(byField.get('kafka.broker')).toBe(`is not a known key (did you mean kafka.brokers?) (in ${file})`);
    expect(byField.get('kafka.topics.dlq')).toContain('must match');
    expect(byField.get('portfolios[0].channels[0].max')).toContain('must be >= min');
    expect(byField.get('portfolios[0].channels')).toContain('add up to 120, more than the budget 100');
    expect(byField.get('portfolios[0].channels[2].id')).toContain('duplicates portfolios[0].channels[0].id');
    expect(err.message.split('\n')).toHaveLength(1 + 6);
    expect(err.message.startsWith('Invalid configuration (6 problems):\n')).toBe(true);
    for (const p of err.problems) expect(err.message).toContain(`  - ${p.field}: ${p.message}`);
  });
});

describe('isEmbedded and simulatorEnabled', () => {
  it('is embedded without brokers and runs the simulator on auto only then', () => {
    const embedded = defaultConfig();
    const kafka = loadConfig({ overrides: { kafka: { brokers: ['k:9092'] } } });
    expect(isEmbedded(embedded)).toBe(true);
    expect(isEmbedded(kafka)).toBe(false);
    expect(simulatorEnabled(embedded)).toBe(true);
    expect(simulatorEnabled(kafka)).toBe(false);
    expect(simulatorEnabled(loadConfig({ overrides: { kafka: { brokers: ['k:9092'] }, simulator: { enabled: 'on' } } }))).toBe(true);
    expect(simulatorEnabled(loadConfig({ overrides: { simulator: { enabled: 'off' } } }))).toBe(false);
  });
});
