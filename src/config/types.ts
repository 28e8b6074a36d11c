/**
 * The validated, frozen configuration. Built once by `loadConfig` (src/config/loader.ts) from
 * schema defaults, config/default.yaml, an optional user file and SPENDFLOW_* environment
 * variables, then passed explicitly to whatever needs it. docs/configuration.md documents every key.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface ChannelConfig {
  readonly id: string;
  /** Ad platform that runs the channel; reallocations go to `<reallocationsPrefix><platform>`. */
  readonly platform: string;
  /** Lowest budget per period. */
  readonly min: number;
  /** Highest budget per period; null for no cap. */
  readonly max: number | null;
  /** Share of the budget before anything is learned; null to split what is left evenly. */
  readonly initialShare: number | null;
  /**
   * Sales events name this channel (channelId) when it drove them: the model fits the channel's
   * curve on the revenue attributed to it, and the rest of the revenue on the other channels.
   */
  readonly attributed?: boolean;
  /** Held at its current budget: the optimizer never moves it. */
  readonly locked?: boolean;
  /** Id of the portfolio group (see `PortfolioConfig.groups`) the channel belongs to. */
  readonly group?: string;
}

/** Bounds on the total budget of the channels naming this group. */
export interface ChannelGroupConfig {
  readonly id: string;
  readonly min: number | null;
  readonly max: number | null;
}

/** revenue: spend the whole budget for the most revenue; profit: margin·revenue − spend, up to the budget. */
export type PortfolioObjective = { readonly type: 'revenue' } | { readonly type: 'profit'; readonly margin: number };

export interface PortfolioConfig {
  readonly id: string;
  readonly currency: string;
  /** Budget per allocation period (one bucket), in `currency`. */
  readonly budget: number;
  /** Largest change per reallocation, as a fraction of a channel's current budget (0.2 = ±20%). */
  readonly maxChange: number;
  readonly channels: readonly ChannelConfig[];
  /** Default `{ type: 'revenue' }`. */
  readonly objective?: PortfolioObjective;
  /** Expected revenue / spend must stay at least this (null or absent: no floor). */
  readonly minRoas?: number | null;
  readonly groups?: readonly ChannelGroupConfig[];
}

export interface Config {
  readonly service: {
    readonly host: string;
    readonly port: number;
    readonly logLevel: LogLevel;
  };
  readonly api: {
    /** Bearer token mutating routes require; null refuses every mutation (403). Never logged. */
    readonly token: string | null;
    /** Require the token on read routes too. */
    readonly protectReads: boolean;
  };
  readonly state: {
    /** Embedded mode: directory of the local state store; null keeps state in memory only. */
    readonly dir: string | null;
  };
  readonly kafka: {
    /** Empty: run embedded on the in-process bus. */
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly groupId: string;
    readonly createTopics: boolean;
    readonly partitions: number;
    readonly replicationFactor: number;
    readonly topics: {
      readonly spend: string;
      readonly sales: string;
      readonly reallocationsPrefix: string;
      readonly dlq: string;
      /** Compacted: one snapshot per portfolio (open buckets, seen ids, model, allocation). */
      readonly state: string;
      /** Compacted: portfolio configuration and pause state, versioned, keyed by portfolio id. */
      readonly control: string;
    };
    /** Transaction timeout the broker enforces on an open transaction. */
    readonly transactionTimeoutMs: number;
    /** Consumer group session timeout: how long a dead member holds its partitions; also /ready's heartbeat limit. */
    readonly sessionTimeoutMs: number;
  };
  readonly ingest: {
    readonly bucketMinutes: number;
    readonly allowedLatenessMinutes: number;
    /** Events further ahead of their portfolio's watermark than this are dead-lettered. */
    readonly maxEventTimeJumpHours: number;
    /** Wall-clock seconds after which a silent spend or sales stream stops holding buckets open. */
    readonly idleStreamSeconds: number;
    readonly maxTrackedEventIds: number;
    /** Records larger than this (UTF-8 bytes of the value) are dead-lettered unread. */
    readonly maxEventBytes: number;
    /** Events older than this, by wall clock, are dead-lettered rather than anchoring a portfolio's event time in the past. */
    readonly maxEventAgeHours: number;
  };
  readonly model: {
    /** Closed buckets needed before the model may move money (learning phase). */
    readonly minBuckets: number;
    /** Most recent buckets the online model keeps for replay. */
    readonly windowBuckets: number;
    /** Exponential forgetting: a bucket this many buckets old counts half as much as the newest. */
    readonly halfLifeBuckets: number;
    /** Pull towards the prior ROI; larger = more cautious curves on little data. */
    readonly ridge: number;
    /** ROI assumed before data arrives (revenue per unit of spend at the initial allocation). */
    readonly priorRoi: number;
    /** Gauss–Newton steps on the curve shapes per update. */
    readonly shapeSteps: number;
    /** Detect changes in the response and cut the memory of what changed. */
    readonly driftDetection: boolean;
    /** CUSUM alarm level in standard deviations of the one-step-ahead error. */
    readonly driftThreshold: number;
    /** Buckets the allocation is held after a detected change, while the model re-learns. */
    readonly holdAfterChangeBuckets: number;
    /** thompson: optimise against one posterior draw (keeps learning); off: against the mean. */
    readonly exploration: 'thompson' | 'off';
  };
  readonly optimizer: {
    /** auto: the certified solver; annealing: the general method from the current allocation. */
    readonly method: 'auto' | 'annealing';
    readonly iterations: number;
    readonly seed: number;
    /** Skip publishing when no channel moves by more than this fraction of the budget. */
    readonly minMoveShare: number;
  };
  readonly simulator: {
    /** auto: on in embedded mode, off with Kafka. */
    readonly enabled: 'auto' | 'on' | 'off';
    readonly scenario: string;
    readonly seed: number;
    /** Simulated seconds per wall-clock second. */
    readonly speed: number;
    readonly tickMinutes: number;
    /** Simulated start time: ISO-8601, or relative to the wall clock at start (`-7d`); null = the current bucket. */
    readonly start: string | null;
    /** Once simulated time reaches the wall clock, continue in real time (1×). */
    readonly realTimeAfterCatchUp: boolean;
  };
  readonly metrics: {
    /** Portfolios that get per-portfolio and per-channel gauges (bounded label sets). */
    readonly portfolios: readonly string[];
  };
  readonly influx: {
    /** Base URL of InfluxDB's v1 HTTP API; null writes no history. */
    readonly url: string | null;
    readonly database: string;
    readonly retentionPolicy: string;
    /** InfluxQL duration of the retention policy created when missing (e.g. 30d, INF). */
    readonly retentionDuration: string;
    readonly username: string | null;
    readonly password: string | null;
    readonly batchSize: number;
    readonly flushIntervalMs: number;
    readonly maxBufferPoints: number;
    readonly maxRetries: number;
    readonly timeoutMs: number;
  };
  readonly portfolios: readonly PortfolioConfig[];
}
