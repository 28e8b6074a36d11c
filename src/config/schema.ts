/**
 * Every configuration key in one place: its path, kind, default, constraints, environment variable
 * and the operator-facing doc string. The loader (loader.ts), the validator (validate.ts) and the
 * generated docs/configuration.md and config/default.yaml (render.ts) are all driven from here.
 * The type helpers below make the compiler check that every leaf of `Config` has exactly one entry
 * and that each default has the type `Config` declares for it.
 */
import { IDENTIFIER } from '../events/fields.ts';
import type { Config, PortfolioConfig } from './types.ts';

/** A leaf value: what one key (other than `portfolios`) can hold. */
export type ConfigValue = string | number | boolean | null | readonly string[];

type LeafPaths<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends ConfigValue ? `${Prefix}${K}` : LeafPaths<T[K], `${Prefix}${K}.`>;
}[keyof T & string];

type ValueAt<T, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T ? ValueAt<T[Head], Rest> : never
  : P extends keyof T ? T[P] : never;

/** Dotted path of every leaf key, e.g. `kafka.topics.dlq`. `portfolios` is structured and separate. */
export type ConfigKeyPath = LeafPaths<Omit<Config, 'portfolios'>>;

export type KeyKind = 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'string-list';

/** A check beyond kind and bounds; `describe` is shown in the docs, `check` returns a message or undefined. */
export interface KeyRule {
  readonly describe: string;
  readonly check: (value: string) => string | undefined;
}

export interface KeySpec<P extends ConfigKeyPath = ConfigKeyPath> {
  readonly path: P;
  /** `SPENDFLOW_` + the path in upper snake case. */
  readonly env: string;
  readonly kind: KeyKind;
  readonly default: ConfigValue;
  /** One to three sentences for an operator. */
  readonly doc: string;
  /** Whether `null` is allowed (in YAML and as the literal `null` in the environment). */
  readonly nullable: boolean;
  /** Inclusive lower bound for numbers, unless `minExclusive`. */
  readonly min?: number;
  readonly minExclusive?: boolean;
  /** Inclusive upper bound for numbers. */
  readonly max?: number;
  /** Strings (or each item of a string list) must match. */
  readonly pattern?: RegExp;
  /** Allowed values of an enum. */
  readonly values?: readonly string[];
  /** Extra check applied to strings (or each item of a string list). */
  readonly rule?: KeyRule;
}

/** Kafka topic names: letters, digits, `.`, `_` and `-`. */
export const TOPIC = /^[A-Za-z0-9._-]+$/;
/** Ad platform names end up in topic names, so they follow the same rule. */
export const PLATFORM = TOPIC;

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const RELATIVE_START = /^-(\d+)(m|h|d)$/;
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

const hostPort: KeyRule = {
  describe: 'each host:port',
  check(value) {
    const m = HOST_PORT.exec(value);
    if (!m) return `"${value}" is not host:port`;
    const port = Number(m[2]);
    return port >= 1 && port <= 65535 ? undefined : `"${value}" has a port outside 1..65535`;
  },
};

const simulatorStart: KeyRule = {
  describe: 'ISO-8601 date-time with a zone, or -<n>m|h|d before the wall clock at start',
  check(value) {
    if (RELATIVE_START.test(value)) return undefined;
    if (!ISO_WITH_ZONE.test(value) || Number.isNaN(Date.parse(value))) {
      return `must be an ISO-8601 date-time with a zone (e.g. 2026-01-05T00:00:00Z) or a time before now such as -7d, -12h, -90m (got "${value}")`;
    }
    return undefined;
  },
};

/** `simulator.start` as epoch ms: an ISO date-time, or `-7d`/`-12h`/`-30m` before `wallNow`. */
export function parseSimulatorStart(value: string, wallNow: number): number {
  const m = RELATIVE_START.exec(value);
  if (!m) return Date.parse(value);
  const unit = m[2] === 'd' ? 86_400_000 : m[2] === 'h' ? 3_600_000 : 60_000;
  return wallNow - Number(m[1]) * unit;
}

const httpUrl: KeyRule = {
  describe: 'http(s) URL',
  check(value) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return `"${value}" is not a URL (e.g. http://127.0.0.1:8086)`;
    }
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : `"${value}" must use http or https`;
  },
};

const INFLUX_NAME = /^[A-Za-z0-9_-]+$/;
const INFLUX_DURATION = /^(INF|(\d+(w|d|h|m))+)$/;

/** `ingest.bucketMinutes` → `SPENDFLOW_INGEST_BUCKET_MINUTES`. */
export function envVarName(path: string): string {
  const snake = path
    .split('.')
    .map((segment) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('_');
  return `SPENDFLOW_${snake}`;
}

type KeyInput<P extends ConfigKeyPath> = Omit<KeySpec<P>, 'path' | 'env' | 'default' | 'nullable'> & {
  readonly default: ValueAt<Config, P>;
  readonly nullable?: boolean;
};

function key<P extends ConfigKeyPath>(path: P, input: KeyInput<P>): KeySpec<P> {
  return { ...input, path, env: envVarName(path), nullable: input.nullable ?? false };
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** Every leaf key, in the order of the docs and config/default.yaml (siblings stay together). */
export const CONFIG_KEYS = [
  key('service.host', {
    kind: 'string', default: '127.0.0.1',
    doc: 'Network interface the HTTP API binds to. Use 0.0.0.0 to accept connections from other hosts, for example inside a container.',
  }),
  key('service.port', {
    kind: 'integer', default: 8080, min: 0, max: 65535,
    doc: 'TCP port of the HTTP API. 0 picks any free port.',
  }),
  key('service.logLevel', {
    kind: 'enum', default: 'info', values: LOG_LEVELS,
    doc: 'Lowest severity that is logged; silent turns logging off.',
  }),
  key('api.token', {
    kind: 'string', default: null, nullable: true,
    doc: 'Bearer token that mutating API routes (PUT, POST) require, compared in constant time. null refuses every mutation. Set it through SPENDFLOW_API_TOKEN rather than a file; it is never logged.',
  }),
  key('api.protectReads', {
    kind: 'boolean', default: false,
    doc: 'Require the bearer token on read routes (GET) as well. /health, /ready and /metrics stay open.',
  }),
  key('state.dir', {
    kind: 'string', default: '.spendflow/state', nullable: true,
    doc: 'Embedded mode: directory where each portfolio\'s state (open buckets, seen event ids, model, allocation, pause) is saved with atomic file writes and restored at start. null keeps state in memory only. With Kafka, state lives in kafka.topics.state instead.',
  }),
  key('kafka.brokers', {
    kind: 'string-list', default: [], rule: hostPort,
    doc: 'Kafka bootstrap servers as host:port. Empty runs spendflow embedded: events travel over an in-process bus and no Kafka is needed. In the environment variable, separate brokers with commas.',
  }),
  key('kafka.clientId', {
    kind: 'string', default: 'spendflow',
    doc: 'Client id spendflow announces to Kafka; it shows up in broker logs, metrics and quotas.',
  }),
  key('kafka.groupId', {
    kind: 'string', default: 'spendflow',
    doc: 'Consumer group used to read spend and sales. Instances with the same group id share the partitions between them.',
  }),
  key('kafka.createTopics', {
    kind: 'boolean', default: true,
    doc: 'Create missing topics at startup, with the partition count and replication factor below. Turn this off when topics are managed elsewhere.',
  }),
  key('kafka.partitions', {
    kind: 'integer', default: 3, min: 1,
    doc: 'Number of partitions of the topics spendflow creates. Existing topics are left as they are.',
  }),
  key('kafka.replicationFactor', {
    kind: 'integer', default: 1, min: 1,
    doc: 'Replication factor of the topics spendflow creates; it cannot exceed the number of brokers in the cluster.',
  }),
  key('kafka.topics.spend', {
    kind: 'string', default: 'spendflow.spend', pattern: TOPIC,
    doc: 'Topic spend events are read from.',
  }),
  key('kafka.topics.sales', {
    kind: 'string', default: 'spendflow.sales', pattern: TOPIC,
    doc: 'Topic sales events are read from.',
  }),
  key('kafka.topics.reallocationsPrefix', {
    kind: 'string', default: 'spendflow.reallocations.', pattern: TOPIC,
    doc: 'Reallocations are published to this prefix followed by the channel\'s platform, e.g. spendflow.reallocations.google-ads.',
  }),
  key('kafka.topics.dlq', {
    kind: 'string', default: 'spendflow.dlq', pattern: TOPIC,
    doc: 'Dead-letter topic: events that cannot be processed are written here together with the reason, so one bad event does not stop the pipeline.',
  }),
  key('kafka.topics.state', {
    kind: 'string', default: 'spendflow.state', pattern: TOPIC,
    doc: 'Compacted topic of state snapshots, written in the same transaction as the reallocations and consumed offsets, and read back when partitions are assigned. It must have the same number of partitions as the spend and sales topics (a portfolio\'s events and state share a partition number); spendflow refuses to start otherwise.',
  }),
  key('kafka.topics.control', {
    kind: 'string', default: 'spendflow.control', pattern: TOPIC,
    doc: 'Compacted topic of portfolio configuration and pause state, keyed by portfolio id; every instance reads all of it and the highest version of each portfolio wins.',
  }),
  key('kafka.transactionTimeoutMs', {
    kind: 'integer', default: 60000, min: 1000, max: 900000,
    doc: 'How long the broker lets a transaction stay open before aborting it (at most the broker\'s transaction.max.timeout.ms).',
  }),
  key('kafka.sessionTimeoutMs', {
    kind: 'integer', default: 10000, min: 6000, max: 300000,
    doc: 'Consumer group session timeout. A member that stops heartbeating (killed, or cut off from the broker) holds its partitions this long before another instance takes them over; /ready turns 503 after this long without a heartbeat. Must lie within the broker\'s group.min/max.session.timeout.ms (6 s to 30 min by default).',
  }),
  key('ingest.bucketMinutes', {
    kind: 'integer', default: 60, min: 1, max: 10080,
    doc: 'Length of one time bucket in minutes. Spend and sales are summed per bucket, and each portfolio budget is the budget of one bucket.',
  }),
  key('ingest.allowedLatenessMinutes', {
    kind: 'integer', default: 10, min: 0,
    doc: 'How long after a bucket has ended its events are still accepted; later events are rejected as late. Must be less than 24 buckets.',
  }),
  key('ingest.maxEventTimeJumpHours', {
    kind: 'integer', default: 168, min: 1,
    doc: 'An event more than this many hours ahead of its portfolio\'s watermark is dead-lettered as invalid: one mistyped far-future time would otherwise close every bucket and make all later events late.',
  }),
  key('ingest.idleStreamSeconds', {
    kind: 'integer', default: 30, min: 1,
    doc: 'A portfolio\'s buckets close when both its spend and its sales events have passed the bucket end plus the lateness. A stream (spend or sales) that delivers nothing for this many wall-clock seconds stops holding buckets open.',
  }),
  key('ingest.maxTrackedEventIds', {
    kind: 'integer', default: 200000, min: 1000,
    doc: 'How many recent event ids each portfolio remembers to drop duplicates (Kafka delivers at least once); ids of buckets closed longer ago than one bucket are forgotten anyway. More catches more duplicates at the cost of memory.',
  }),
  key('ingest.maxEventBytes', {
    kind: 'integer', default: 65536, min: 256,
    doc: 'Largest spend or sales record accepted, in bytes of its value. Larger records go to the dead-letter topic (reason too_large) without being parsed.',
  }),
  key('ingest.maxEventAgeHours', {
    kind: 'integer', default: 17520, min: 1,
    doc: 'Events whose time is further in the past than this (by the wall clock) are dead-lettered as invalid, so a stray old timestamp cannot anchor a portfolio in the past. The default (two years) admits a backfill of two years of history.',
  }),
  key('model.minBuckets', {
    kind: 'integer', default: 4, min: 1,
    doc: 'Closed buckets a portfolio needs before the model may move money (the learning phase). Must not exceed model.windowBuckets.',
  }),
  key('model.windowBuckets', {
    kind: 'integer', default: 336, min: 2,
    doc: 'How many recent buckets the online model keeps and replays at every update; older buckets are dropped. Bounds memory and the cost of an update.',
  }),
  key('model.halfLifeBuckets', {
    kind: 'number', default: 168, min: 0, minExclusive: true,
    doc: 'Exponential forgetting: a bucket this many buckets old weighs half as much as the newest one, so the model follows a market that changes. Shorter follows faster but is noisier.',
  }),
  key('model.ridge', {
    kind: 'number', default: 1.0, min: 0,
    doc: 'Pull of the fit towards the prior ROI: the prior standard deviation of each channel\'s response is its prior value divided by the square root of this. Larger values give more cautious curves while data is scarce; 0 turns the pull off.',
  }),
  key('model.priorRoi', {
    kind: 'number', default: 1.5, min: 0, minExclusive: true,
    doc: 'ROI assumed before data arrives: revenue per unit of spend at the initial allocation.',
  }),
  key('model.shapeSteps', {
    kind: 'integer', default: 1, min: 0, max: 20,
    doc: 'Gauss-Newton steps on each channel\'s curve shape (adstock decay, half-saturation, steepness) per update; 0 keeps the shapes at their prior and learns only the response levels.',
  }),
  key('model.driftDetection', {
    kind: 'boolean', default: true,
    doc: 'Watch the one-step-ahead errors for a persistent shift (CUSUM); on an alarm, cut the model\'s memory of what changed (a channel\'s response or the baseline) so it re-learns quickly. Every detection is counted and explained.',
  }),
  key('model.driftThreshold', {
    kind: 'number', default: 8, min: 1,
    doc: 'CUSUM alarm level, in standard deviations of the one-step-ahead error. Lower detects changes sooner and raises more false alarms.',
  }),
  key('model.holdAfterChangeBuckets', {
    kind: 'integer', default: 2, min: 0, max: 168,
    doc: 'After a detected change, hold the allocation for this many buckets while the model re-learns from post-change data (the reoptimization outcome is held and the reason says why); 0 reacts at once. The next few reallocations then use the mean curves, not a posterior draw.',
  }),
  key('model.exploration', {
    kind: 'enum', default: 'thompson', values: ['thompson', 'off'],
    doc: 'thompson: optimise each reallocation against one draw from the model\'s posterior (Thompson sampling), so uncertain channels keep being tried within the guardrails; off: optimise against the mean curves. On by default because it earned more in every scenario of docs/evaluation.md.',
  }),
  key('optimizer.method', {
    kind: 'enum', default: 'auto', values: ['auto', 'annealing'],
    doc: 'auto: the certified solver (exact for concave curves, envelopes and branch and bound for S-shaped ones). annealing: simulated annealing from the current allocation, the general method; its answers carry the same certificate. See docs/optimizer.md.',
  }),
  key('optimizer.iterations', {
    kind: 'integer', default: 3000, min: 10, max: 10_000_000,
    doc: 'Annealing moves per reallocation when optimizer.method is annealing (unused by auto).',
  }),
  key('optimizer.seed', {
    kind: 'integer', default: 1,
    doc: 'Seed of the optimizer\'s random generator, so the same inputs always give the same allocation.',
  }),
  key('optimizer.minMoveShare', {
    kind: 'number', default: 0.001, min: 0, max: 1,
    doc: 'A reallocation is not published when no channel moves by more than this fraction of the portfolio budget, so ad platforms are not bothered with tiny changes.',
  }),
  key('simulator.enabled', {
    kind: 'enum', default: 'auto', values: ['auto', 'on', 'off'],
    doc: 'Generate synthetic spend and sales events, for demos and tests. auto: on when embedded (no kafka.brokers), off with Kafka.',
  }),
  key('simulator.scenario', {
    kind: 'string', default: 'demo', pattern: IDENTIFIER,
    doc: 'Name of the scenario the simulator plays.',
  }),
  key('simulator.seed', {
    kind: 'integer', default: 42,
    doc: 'Seed of the simulator\'s random generator; the same seed replays the same events.',
  }),
  key('simulator.speed', {
    kind: 'number', default: 900, min: 0, minExclusive: true,
    doc: 'Simulated seconds per wall-clock second. The default plays one hour of traffic in four seconds.',
  }),
  key('simulator.tickMinutes', {
    kind: 'integer', default: 5, min: 1, max: 60,
    doc: 'Simulated minutes between two batches of generated events.',
  }),
  key('simulator.start', {
    kind: 'string', default: null, nullable: true, rule: simulatorStart,
    doc: 'Simulated time the run starts at: ISO-8601 with a zone (e.g. 2026-01-05T00:00:00Z), or a time before the wall clock at start such as -7d, -12h or -90m (a demo whose history should fill a board\'s last days). null starts at the current bucket.',
  }),
  key('simulator.realTimeAfterCatchUp', {
    kind: 'boolean', default: false,
    doc: 'Once simulated time reaches the wall clock, go on in real time instead of running ahead of it. With a start in the past (-7d) a demo fills a week of history at simulator.speed, then keeps time like production data, so boards showing "the last 7 days" stay filled.',
  }),
  key('metrics.portfolios', {
    kind: 'string-list', default: [], pattern: IDENTIFIER,
    doc: 'Portfolio ids that get per-portfolio and per-channel gauges (budget, expected revenue, gap, marginal ROI) on /metrics. Empty by default, so label sets stay bounded however many portfolios run; list the few an operator watches. In the environment variable, separate ids with commas.',
  }),
  key('influx.url', {
    kind: 'string', default: null, nullable: true, rule: httpUrl,
    doc: 'InfluxDB v1 HTTP API to write history to (allocations, observed and predicted revenue, model estimates), e.g. http://127.0.0.1:8086. Works with InfluxDB 1.x and the v1-compatible API of 2.x and 3.x. null writes no history.',
  }),
  key('influx.database', {
    kind: 'string', default: 'spendflow', pattern: INFLUX_NAME,
    doc: 'Database the history goes to; created at start when missing.',
  }),
  key('influx.retentionPolicy', {
    kind: 'string', default: 'spendflow', pattern: INFLUX_NAME,
    doc: 'Retention policy the points are written to. When missing it is created as the database\'s default policy, which the Grafana boards read; an existing policy is used as it is.',
  }),
  key('influx.retentionDuration', {
    kind: 'string', default: '30d', pattern: INFLUX_DURATION,
    doc: 'How long the retention policy keeps points when spendflow creates it, as an InfluxQL duration (30d, 12w, INF). An existing policy is left as it is.',
  }),
  key('influx.username', {
    kind: 'string', default: null, nullable: true,
    doc: 'InfluxDB user; null for none. For 2.x and 3.x v1 compatibility, a user mapped to a token.',
  }),
  key('influx.password', {
    kind: 'string', default: null, nullable: true,
    doc: 'InfluxDB password (or token). Never logged.',
  }),
  key('influx.batchSize', {
    kind: 'integer', default: 500, min: 1, max: 100_000,
    doc: 'Points per write request; a full batch is written without waiting for the flush interval.',
  }),
  key('influx.flushIntervalMs', {
    kind: 'integer', default: 1000, min: 10,
    doc: 'Longest a point waits in the buffer before it is written.',
  }),
  key('influx.maxBufferPoints', {
    kind: 'integer', default: 50_000, min: 1,
    doc: 'Points held while InfluxDB is slow or down. When full, the oldest points are dropped and counted in spendflow_influx_points_dropped_total; the pipeline never waits for InfluxDB.',
  }),
  key('influx.maxRetries', {
    kind: 'integer', default: 5, min: 0,
    doc: 'Retries of a failed write, with exponential backoff from 250 ms up to 30 s. A batch whose retries run out is dropped (counted). A batch InfluxDB refuses as malformed (HTTP 400) is not retried: it is written again in halves until the refused points are alone, and those are dropped (counted).',
  }),
  key('influx.timeoutMs', {
    kind: 'integer', default: 5000, min: 100,
    doc: 'Timeout of one request to InfluxDB.',
  }),
] as const;

// Fails to compile when a leaf of `Config` has no entry in CONFIG_KEYS.
type MissingKeys = Exclude<ConfigKeyPath, (typeof CONFIG_KEYS)[number]['path']>;
type AssertNone<T extends never> = T;
export type SchemaCoversConfig = AssertNone<MissingKeys>;

export const KEY_BY_PATH: ReadonlyMap<string, KeySpec> = new Map(CONFIG_KEYS.map((k) => [k.path, k]));
export const KEY_BY_ENV: ReadonlyMap<string, KeySpec> = new Map(CONFIG_KEYS.map((k) => [k.env, k]));

/** Top-level sections in order, each with a heading for the docs. */
export const SECTIONS: readonly { readonly name: string; readonly title: string; readonly doc: string }[] = [
  { name: 'service', title: 'service', doc: 'The HTTP API and logging.' },
  { name: 'api', title: 'api', doc: 'Who may change portfolios through the HTTP API.' },
  { name: 'state', title: 'state', doc: 'Where state survives a restart in embedded mode.' },
  { name: 'kafka', title: 'kafka', doc: 'Where events come from and go to. Leave `brokers` empty to run embedded.' },
  { name: 'ingest', title: 'ingest', doc: 'How spend and sales events are bucketed, checked for lateness and de-duplicated.' },
  { name: 'model', title: 'model', doc: 'The per-channel response curves fitted from spend and sales.' },
  { name: 'optimizer', title: 'optimizer', doc: 'The search for the allocation that maximises expected revenue.' },
  { name: 'simulator', title: 'simulator', doc: 'Synthetic event generator for demos and tests.' },
  { name: 'metrics', title: 'metrics', doc: 'What /metrics exports beyond the bounded default set.' },
  { name: 'influx', title: 'influx', doc: 'History in InfluxDB for the Grafana boards. Off unless `url` is set.' },
];

/** Docs of the fields of one structured entry (a portfolio or one of its channels). */
export interface FieldDoc {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly doc: string;
}

const channel = (id: string, platform: string, min: number, max: number | null) => ({ id, platform, min, max, initialShare: null });

export const DEFAULT_PORTFOLIOS: readonly PortfolioConfig[] = [
  {
    id: 'demo-shop', currency: 'EUR', budget: 2000, maxChange: 0.25,
    channels: [
      channel('search', 'google-ads', 200, 1200),
      channel('shopping', 'google-ads', 100, 1000),
      channel('social', 'meta', 100, 1000),
      channel('display', 'criteo', 0, 600),
    ],
  },
  {
    id: 'demo-outdoor', currency: 'USD', budget: 800, maxChange: 0.2,
    channels: [
      channel('search', 'google-ads', 50, 500),
      channel('social', 'meta', 50, 500),
      channel('video', 'tiktok', 0, 300),
    ],
  },
];

/** A portfolio using every optional field; docs/configuration.md shows it. */
export const PORTFOLIO_EXAMPLE: PortfolioConfig = {
  id: 'shop-eu', currency: 'EUR', budget: 5000, maxChange: 0.2,
  objective: { type: 'profit', margin: 0.4 },
  minRoas: 3,
  groups: [
    { id: 'search', min: 1500, max: 3000 },
    { id: 'social', min: null, max: 2500 },
  ],
  channels: [
    { id: 'brand-search', platform: 'google-ads', min: 500, max: 1500, initialShare: null, group: 'search' },
    { id: 'generic-search', platform: 'google-ads', min: 300, max: 2000, initialShare: null, group: 'search' },
    { id: 'meta-feed', platform: 'meta', min: 200, max: 2500, initialShare: null, group: 'social' },
    { id: 'tiktok', platform: 'tiktok', min: 0, max: 1000, initialShare: null, group: 'social' },
    { id: 'affiliates', platform: 'awin', min: 400, max: 800, initialShare: null, attributed: true, locked: true },
  ],
};

/** `portfolios`: a list of objects, set in YAML only (no environment variable). */
export const PORTFOLIOS_SPEC = {
  path: 'portfolios',
  doc: 'The budgets spendflow manages. Each portfolio splits one budget per bucket across its channels; events name a portfolio and channel by id. At least one portfolio is required, and a list in a later file replaces the earlier list as a whole.',
  fields: [
    { name: 'id', type: 'string', required: true, doc: 'Unique portfolio id (letters, digits and `._:-`), as used in event keys.' },
    { name: 'currency', type: 'string', required: true, doc: 'ISO 4217 code (three upper-case letters) the budget and the events are in.' },
    { name: 'budget', type: 'number > 0', required: true, doc: 'Budget per bucket (see ingest.bucketMinutes), in `currency`.' },
    { name: 'maxChange', type: 'number in (0, 1]', required: true, doc: 'Largest change per reallocation as a fraction of a channel\'s current budget (0.2 = ±20%).' },
    { name: 'channels', type: 'list', required: true, doc: 'The channels sharing the budget; at least one, and their `min` values must add up to no more than `budget`.' },
    { name: 'objective', type: 'mapping', required: false, doc: 'What the optimizer maximises. `{ type: revenue }` (the default): expected revenue, spending the whole budget (unless `minRoas` holds some back). `{ type: profit, margin: m }`: m × revenue − spend, spending up to the budget (less when more spend would lose money).' },
    { name: 'objective.type', type: 'revenue or profit', required: false, doc: 'Required when `objective` is set.' },
    { name: 'objective.margin', type: 'number > 0', required: false, doc: 'Share of revenue kept as profit before ad spend (0.4 = 40%). Required with `type: profit`, not allowed with `type: revenue`.' },
    { name: 'minRoas', type: 'number > 0 or null', required: false, doc: 'Floor on expected revenue / spend over the whole portfolio: the optimizer spends less than the budget rather than go below it. null or omitted for no floor.' },
    { name: 'groups', type: 'list', required: false, doc: 'Named sets of channels whose total budget is bounded; a channel joins one with `channels[].group`, and belongs to at most one. Ids are unique, the group minimums add up to no more than `budget`, and each group\'s bounds must be reachable within its channels\' `min` and `max`.' },
    { name: 'groups[].id', type: 'string', required: true, doc: 'Group id, unique within the portfolio (letters, digits and `._:-`).' },
    { name: 'groups[].min', type: 'number >= 0 or null', required: false, doc: 'Lowest total budget per bucket of the group\'s channels; null or omitted for none.' },
    { name: 'groups[].max', type: 'number >= 0 or null', required: false, doc: 'Highest total budget per bucket of the group\'s channels, at least `min`; null or omitted for no cap.' },
  ] satisfies FieldDoc[],
  channelFields: [
    { name: 'channels[].id', type: 'string', required: true, doc: 'Channel id, unique within the portfolio (letters, digits and `._:-`).' },
    { name: 'channels[].platform', type: 'string', required: true, doc: 'Ad platform running the channel (letters, digits and `._-`); reallocations go to the topic reallocationsPrefix + platform.' },
    { name: 'channels[].min', type: 'number >= 0', required: true, doc: 'Lowest budget per bucket the channel may get.' },
    { name: 'channels[].max', type: 'number or null', required: false, doc: 'Highest budget per bucket, at least `min`; null or omitted for no cap.' },
    { name: 'channels[].initialShare', type: 'number in [0, 1] or null', required: false, doc: 'Share of the budget before anything is learned. null or omitted channels split what the others leave evenly; shares add up to at most 1, and exactly 1 when every channel has one.' },
    { name: 'channels[].attributed', type: 'boolean', required: false, doc: 'true when sales events name this channel (`channelId`) for the revenue it drove: the model then fits this channel on its attributed revenue and the other channels on the rest. Default false: every channel is learned from the portfolio\'s total revenue.' },
    { name: 'channels[].locked', type: 'boolean', required: false, doc: 'true holds the channel at its current budget: reallocations never move it (at first it gets what the initial allocation gives it, within `min` and `max`) and share out only the rest of the budget. Nothing more is required of a locked channel. Default false.' },
    { name: 'channels[].group', type: 'string', required: false, doc: 'Id of one of the portfolio\'s `groups`: the channel\'s budget counts towards that group\'s `min` and `max`.' },
  ] satisfies FieldDoc[],
  default: DEFAULT_PORTFOLIOS,
  example: PORTFOLIO_EXAMPLE,
} as const;
