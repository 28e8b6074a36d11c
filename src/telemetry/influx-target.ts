/**
 * The InfluxDB adapter of HistoryTarget, on the `influx` client (InfluxDB 1.x HTTP API, which
 * 2.x and 3.x also serve for compatibility): line protocol writes at millisecond precision,
 * InfluxQL to create the database and retention policy when missing.
 */
import influx from 'influx';
import type { Config } from '../config/types.ts';
import { HistoryWriteError, type HistoryTarget } from './history-writer.ts';
import type { HistoryPoint } from './influx-points.ts';

const { InfluxDB } = influx;

/** The client's pool disables a host for this long after a network error (our writer does the backing off). */
const constantBackoff = (ms: number) => {
  const strategy = { getDelay: () => ms, next: () => strategy, reset: () => strategy };
  return strategy;
};

function statusOf(err: unknown): number | null {
  const res = (err as { res?: { statusCode?: unknown } } | null)?.res;
  return typeof res?.statusCode === 'number' ? res.statusCode : null;
}

/** 400 (a malformed point, a field type conflict) cannot succeed on retry; anything else might. */
function writeError(err: unknown, what: string): HistoryWriteError {
  const status = statusOf(err);
  const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  return new HistoryWriteError(message, status !== 400);
}

export class InfluxTarget implements HistoryTarget {
  readonly name: string;
  private readonly client: InstanceType<typeof InfluxDB>;

  constructor(private readonly config: Config['influx'] & { readonly url: string }) {
    const url = new URL(config.url);
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    this.name = `influxdb ${url.host}/${config.database}`;
    this.client = new InfluxDB({
      hosts: [{ host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol, ...(url.pathname !== '/' ? { path: url.pathname.replace(/\/$/, '') } : {}) }],
      database: config.database,
      ...(config.username !== null ? { username: config.username } : {}),
      ...(config.password !== null ? { password: config.password } : {}),
      pool: { maxRetries: 0, requestTimeout: config.timeoutMs, backoff: constantBackoff(50) },
    });
  }

  async prepare(): Promise<void> {
    const { database, retentionPolicy, retentionDuration } = this.config;
    try {
      const names = await this.client.getDatabaseNames();
      if (!names.includes(database)) await this.client.createDatabase(database);
      const policies = await this.client.showRetentionPolicies(database);
      if (!policies.some((p) => p.name === retentionPolicy)) {
        // Created as the default policy, so queries without a policy (the boards') read it.
        await this.client.createRetentionPolicy(retentionPolicy, { database, duration: retentionDuration, replication: 1, isDefault: true });
      }
    } catch (err) {
      throw writeError(err, `preparing database ${database}`);
    }
  }

  async write(points: readonly HistoryPoint[]): Promise<void> {
    try {
      await this.client.writePoints(
        points.map((p) => ({ measurement: p.measurement, tags: { ...p.tags }, fields: { ...p.fields }, timestamp: p.timestamp })),
        { database: this.config.database, retentionPolicy: this.config.retentionPolicy, precision: 'ms' },
      );
    } catch (err) {
      throw writeError(err, `writing ${points.length} point(s)`);
    }
  }
}
