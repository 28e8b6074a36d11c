/**
 * docker-compose.yml, resolved by Debian's `docker-compose config` (no engine needed), and the
 * Prometheus configuration it mounts.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, simulatorEnabled } from '../../../src/config/loader.ts';
import { KEY_BY_ENV } from '../../../src/config/schema.ts';
import {
  ROOT,
  composeConfig,
  envOf,
  healthcheckCommand,
  interpolatedVariables,
  mounts,
  ports,
  readYaml,
  repoText,
  runComposeConfig,
  type ResolvedCompose,
  type Service,
  type Tree,
} from './deploy-files.ts';

const TOKEN = 'test-token-not-a-secret';

describe('docker-compose.yml', () => {
  // Resolved once; a failure (docker-compose missing, invalid file) fails every test below with
  // its message rather than leaving them skipped.
  let resolved: ResolvedCompose | Error = new Error('docker-compose config has not run');
  const compose = (): ResolvedCompose => {
    if (resolved instanceof Error) throw resolved;
    return resolved;
  };
  const service = (name: string): Service => {
    const s = compose().services[name];
    if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
    return s;
  };
  const spendflowConfig = () => loadConfig({ env: envOf(service('spendflow')) });

  beforeAll(() => {
    try {
      resolved = composeConfig({ SPENDFLOW_API_TOKEN: TOKEN });
    } catch (err) {
      resolved = err instanceof Error ? err : new Error(String(err));
    }
  });

  it('is valid and defines the stack', () => {
    expect(Object.keys(compose().services).sort()).toEqual(['grafana', 'influxdb', 'kafka', 'prometheus', 'spendflow']);
  });

  it('pins every image to an exact release', () => {
    const images = Object.entries(compose().services).filter(([, s]) => s.image !== undefined);
    expect(images.map(([name]) => name).sort()).toEqual(['grafana', 'influxdb', 'kafka', 'prometheus']);
    for (const [name, s] of images) expect(s.image, name).toMatch(/^[a-z0-9/._-]+:v?\d+\.\d+\.\d+$/);
    expect(service('kafka').image).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    expect(service('influxdb').image).toMatch(/^influxdb:1\.8\.\d+$/);
  });

  it('runs the same Kafka release as the tests', () => {
    const pom = repoText('scripts/kafka/pom.xml');
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
    expect(service('kafka').image).toBe(`apache/kafka:${version}`);
  });

  it('runs Kafka as a single KRaft node (broker and controller) with one-replica internal topics', () => {
    const e = envOf(service('kafka'));
    expect(e['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(e['CLUSTER_ID']).toMatch(/^[A-Za-z0-9_-]{22}$/); // a base64 UUID, as kafka-storage format wants
    expect(e['KAFKA_CONTROLLER_QUORUM_VOTERS']).toBe(`${e['KAFKA_NODE_ID']}@kafka:9093`);
    expect(e['KAFKA_CONTROLLER_LISTENER_NAMES']).toBe('CONTROLLER');
    const listeners = (e['KAFKA_LISTENERS'] ?? '').split(',');
    expect(listeners).toEqual(expect.arrayContaining(['PLAINTEXT://:9092', 'CONTROLLER://:9093']));
    // Every listener has a security protocol, and the controller is not advertised to clients.
    const protocols = new Set((e['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP'] ?? '').split(',').map((p) => p.split(':')[0]));
    for (const l of listeners) expect(protocols).toContain(l.split(':')[0]);
    expect(e['KAFKA_ADVERTISED_LISTENERS']).not.toContain('CONTROLLER');
    expect(e['KAFKA_INTER_BROKER_LISTENER_NAME']).toBe('PLAINTEXT');
    for (const name of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) {
      expect(e[name], name).toBe('1');
    }
  });

  it('advertises kafka:9092 on the compose network and localhost on the published port', () => {
    const kafka = service('kafka');
    const e = envOf(kafka);
    const advertised = (e['KAFKA_ADVERTISED_LISTENERS'] ?? '').split(',');
    expect(advertised).toContain('PLAINTEXT://kafka:9092');
    const hostListener = advertised.find((l) => l.startsWith('HOST://'));
    const published = ports(kafka);
    expect(published).toHaveLength(1);
    // Clients on the host connect to the published port and must be told the same address back.
    expect(hostListener).toBe(`HOST://localhost:${published[0]?.published}`);
    expect(e['KAFKA_LISTENERS']).toContain(`HOST://:${published[0]?.target}`);
  });

  it("keeps Kafka's log on a volume and reports Kafka's health from its own listener", () => {
    const kafka = service('kafka');
    expect(mounts(kafka)).toContainEqual({ source: 'kafka-data', target: envOf(kafka)['KAFKA_LOG_DIRS'] });
    expect(healthcheckCommand(kafka)).toContain('/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092');
  });

  it('builds spendflow from this repository and starts it once Kafka is healthy', () => {
    const spendflow = service('spendflow');
    const context = typeof spendflow.build === 'string' ? spendflow.build : spendflow.build?.context;
    expect(context && resolve(ROOT, context)).toBe(ROOT);
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
    expect(spendflow.depends_on).toMatchObject({ kafka: { condition: 'service_healthy' } });
  });

  it('points spendflow at the Kafka service, listening on all interfaces, with the simulator on', () => {
    const config = spendflowConfig();
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(envOf(service('kafka'))['KAFKA_ADVERTISED_LISTENERS']).toContain(`PLAINTEXT://${config.kafka.brokers[0]}`);
    expect(config.service.host).toBe('0.0.0.0');
    expect(simulatorEnabled(config)).toBe(true);
    expect(config.api.token).toBe(TOKEN);
    // The one-broker cluster cannot hold more replicas than this.
    expect(config.kafka.replicationFactor).toBe(1);
  });

  it('writes history to the InfluxDB service, gauges the demo portfolios and starts the simulator a week back', () => {
    const config = spendflowConfig();
    expect(config.influx.url).toBe(`http://influxdb:${ports(service('influxdb'))[0]?.target}`);
    expect(config.influx.database).toBe(envOf(service('influxdb'))['INFLUXDB_DB']);
    expect(config.metrics.portfolios).toEqual(config.portfolios.map((p) => p.id));
    // The Marketing board shows the last 7 days of event time (test/unit/deploy/grafana.test.ts).
    expect(config.simulator.start).toBe('-7d');
    expect(service('spendflow').depends_on).toMatchObject({ influxdb: { condition: 'service_healthy' } });
  });

  it('publishes the port spendflow listens on', () => {
    expect(ports(service('spendflow'))).toEqual([{ published: '8080', target: String(spendflowConfig().service.port) }]);
  });

  it('sets only variables that are spendflow config keys (none silently ignored)', () => {
    const names = Object.keys(envOf(service('spendflow')));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(KEY_BY_ENV.has(name), `${name} is not a config key`).toBe(true);
  });

  it('refuses to resolve without an API token, and says where to set it', () => {
    const res = runComposeConfig({});
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('SPENDFLOW_API_TOKEN');
    expect(res.stderr).toContain('.env.example');
  });

  it('takes the API token and the Grafana admin password from the environment', () => {
    const withSecrets = composeConfig({ SPENDFLOW_API_TOKEN: 's3cret-token', GRAFANA_ADMIN_PASSWORD: 'pw-from-env' }).services;
    expect(envOf(withSecrets['spendflow'])['SPENDFLOW_API_TOKEN']).toBe('s3cret-token');
    expect(envOf(withSecrets['grafana'])['GF_SECURITY_ADMIN_PASSWORD']).toBe('pw-from-env');
    expect(envOf(service('grafana'))['GF_SECURITY_ADMIN_PASSWORD']).toBe('admin');
  });

  it('documents every variable it reads in .env.example, and git ignores .env', () => {
    const example = repoText('.env.example');
    const documented = [...example.matchAll(/^([A-Z_][A-Z0-9_]*)=(.*)$/gm)];
    expect(documented.map((m) => m[1]).sort()).toEqual(interpolatedVariables());
    // No value in the example: a real token there would end up in git.
    for (const m of documented) expect(m[2], m[1]).toBe('');
    expect(repoText('.gitignore').split('\n').map((l) => l.trim())).toContain('.env');
  });

  it('gives every service but spendflow a healthcheck (spendflow has its own in the Dockerfile)', () => {
    for (const name of ['grafana', 'influxdb', 'kafka', 'prometheus']) expect(healthcheckCommand(service(name)), name).not.toBe('');
    expect(healthcheckCommand(service('influxdb'))).toContain('http://localhost:8086/ping');
    expect(healthcheckCommand(service('prometheus'))).toContain('http://localhost:9090/-/healthy');
    expect(healthcheckCommand(service('grafana'))).toContain('http://localhost:3000/api/health');
    expect(service('grafana').depends_on).toMatchObject({ prometheus: { condition: 'service_healthy' }, influxdb: { condition: 'service_healthy' } });
  });

  it('keeps every service that has data on a named volume it declares', () => {
    const declared = Object.keys(compose().volumes ?? {}).sort();
    const used = Object.values(compose().services).flatMap((s) => mounts(s).map((m) => m.source).filter((src) => !src.startsWith('/')));
    expect([...new Set(used)].sort()).toEqual(declared);
    const target = (name: string, volume: string) => mounts(service(name)).find((m) => m.source === volume)?.target;
    expect(target('influxdb', 'influxdb-data')).toBe('/var/lib/influxdb');
    expect(target('prometheus', 'prometheus-data')).toBe('/prometheus');
    expect(target('grafana', 'grafana-data')).toBe('/var/lib/grafana');
  });

  it('runs InfluxDB 1.8 with the spendflow database', () => {
    expect(envOf(service('influxdb'))['INFLUXDB_DB']).toBe('spendflow');
    expect(ports(service('influxdb'))).toEqual([{ published: '8086', target: '8086' }]);
  });

  it('bind-mounts only files and folders that exist in the repository', () => {
    const binds = Object.values(compose().services).flatMap((s) => mounts(s).filter((m) => m.source.startsWith('/')));
    expect(binds.length).toBeGreaterThan(0);
    for (const m of binds) {
      expect(m.source.startsWith(`${ROOT}/`), m.source).toBe(true);
      expect(existsSync(m.source), m.source).toBe(true);
    }
  });

  it('mounts the Prometheus configuration, and Prometheus scrapes the port spendflow listens on', () => {
    const prometheus = service('prometheus');
    const config = mounts(prometheus).find((m) => m.target === '/etc/prometheus/prometheus.yml');
    expect(config?.source).toBe(join(ROOT, 'prometheus/prometheus.yml'));
    const scrape = readYaml('prometheus/prometheus.yml')['scrape_configs'] as { job_name: string; static_configs?: { targets: string[] }[] }[];
    const targets = scrape.find((j) => j.job_name === 'spendflow')?.static_configs?.flatMap((c) => c.targets);
    expect(targets).toEqual([`spendflow:${spendflowConfig().service.port}`]);
  });

  it('mounts the alert rules where prometheus.yml loads them from', () => {
    const files = (readYaml('prometheus/prometheus.yml')['rule_files'] ?? []) as string[];
    expect(files).toEqual(['alerts.yml']);
    const byTarget = new Map(mounts(service('prometheus')).map((m) => [m.target, m.source]));
    // Relative rule files resolve against the directory of the configuration file.
    for (const f of files) expect(byTarget.get(`/etc/prometheus/${f}`), f).toBe(join(ROOT, 'prometheus', f));
  });

  it("mounts Grafana's provisioning and boards, with anonymous viewers", () => {
    const grafana = service('grafana');
    const byTarget = new Map(mounts(grafana).map((m) => [m.target, m.source]));
    expect(byTarget.get('/etc/grafana/provisioning/datasources')).toBe(join(ROOT, 'grafana/provisioning/datasources'));
    expect(byTarget.get('/etc/grafana/provisioning/dashboards')).toBe(join(ROOT, 'grafana/provisioning/dashboards'));
    expect(byTarget.get('/var/lib/grafana/dashboards')).toBe(join(ROOT, 'grafana/dashboards'));
    const e = envOf(grafana);
    expect(e['GF_AUTH_ANONYMOUS_ENABLED']).toBe('true');
    expect(e['GF_AUTH_ANONYMOUS_ORG_ROLE']).toBe('Viewer');
  });

  it('lets Grafana reach the data sources it is provisioned with, by service name and port', () => {
    const sources = readYaml('grafana/provisioning/datasources/datasources.yml')['datasources'] as { uid: string; url: string; jsonData?: Tree }[];
    const byUid = new Map(sources.map((s) => [s.uid, s]));
    expect(byUid.get('prometheus')?.url).toBe(`http://prometheus:${ports(service('prometheus'))[0]?.target}`);
    expect(byUid.get('influxdb')?.url).toBe(`http://influxdb:${ports(service('influxdb'))[0]?.target}`);
    expect(byUid.get('influxdb')?.jsonData?.['dbName']).toBe(envOf(service('influxdb'))['INFLUXDB_DB']);
    const providers = readYaml('grafana/provisioning/dashboards/dashboards.yml')['providers'] as { options: { path: string } }[];
    const boards = mounts(service('grafana')).find((m) => m.source === join(ROOT, 'grafana/dashboards'));
    expect(providers.map((p) => p.options.path)).toEqual([boards?.target]);
  });
});

describe('prometheus/prometheus.yml', () => {
  const jobs = (readYaml('prometheus/prometheus.yml')['scrape_configs'] ?? []) as {
    job_name: string;
    scrape_interval?: string;
    metrics_path?: string;
    static_configs?: { targets: string[] }[];
  }[];
  const job = (name: string) => jobs.find((j) => j.job_name === name);

  it("scrapes spendflow's /metrics every 5 s", () => {
    const spendflow = job('spendflow');
    expect(spendflow?.static_configs?.flatMap((c) => c.targets)).toEqual(['spendflow:8080']);
    expect(spendflow?.scrape_interval).toBe('5s');
    expect(spendflow?.metrics_path ?? '/metrics').toBe('/metrics');
  });

  it('scrapes itself', () => {
    expect(job('prometheus')?.static_configs?.flatMap((c) => c.targets)).toEqual(['localhost:9090']);
  });
});
