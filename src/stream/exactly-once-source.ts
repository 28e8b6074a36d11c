/**
 * Spend and sales from Kafka, processed exactly once: every batch's outputs (reallocation
 * events, dead letters), the state of the portfolios it changed, and the consumed offsets are
 * committed in one Kafka transaction, or none of it is.
 *
 * Per input partition p there is one transactional producer, `<groupId>.p<p>`. Starting it
 * (InitProducerId) fences any earlier holder of partition p — a zombie instance after a
 * rebalance, or this process before a crash — and aborts its open transaction. Then a restore:
 * a marker record is committed to state partition p, the state partition is read up to the
 * marker (everything committed before it), the pipeline's portfolios of partition p are set
 * from it, and the consumer seeks to the committed offsets. Processing resumes exactly where
 * the last committed transaction left off.
 *
 * A failed transaction is aborted and the partition restored and its batch processed again; if
 * Kafka stays unreachable the error goes to kafkajs, which retries and restarts the consumer.
 */
import { randomUUID } from 'node:crypto';
import kafkajs, { type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import type { KafkaClient } from '../bus/kafka-client.ts';
import { retryTransient } from '../bus/retry.ts';
import type { Config } from '../config/types.ts';
import { SpendflowError, errorMessage } from '../errors.ts';
import type { InputKind } from '../events/types.ts';
import type { Logger } from '../log.ts';
import type { Outbox, Pipeline } from '../pipeline/pipeline.ts';
import type { SignalBus } from '../pipeline/signals.ts';
import { encodeDeadLetter, encodeReallocation } from '../publish/encode.ts';
import { assignedPartitions, coPartitionAssigner, partitionFor } from './partitioning.ts';
import { ConsumerLag } from './consumer-lag.ts';
import { StateTracker } from './state-tracker.ts';
import { encodeKey, encodeValue, snapshotsOf } from './state-records.ts';
import { readCompacted } from './topic-reader.ts';

const { Partitioners } = kafkajs;

/** Processing time after which a batch's transaction is cut and committed (see processAndCommit). */
const MAX_WORK_MS = 50;

/** Largest payload of one produce request inside a transaction (below the 1 MB broker default). */
const MAX_REQUEST_BYTES = 512 * 1024;

type OutMessage = { key: string | null; value: string | null; headers?: Record<string, string>; partition?: number };

/** Splits a transaction's messages into produce requests of at most MAX_REQUEST_BYTES each. */
export function requestsOf(byTopic: ReadonlyMap<string, readonly OutMessage[]>, maxBytes = MAX_REQUEST_BYTES): { topic: string; messages: OutMessage[] }[][] {
  const requests: { topic: string; messages: OutMessage[] }[][] = [];
  let current = new Map<string, OutMessage[]>();
  let size = 0;
  const flush = () => {
    if (current.size > 0) requests.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    size = 0;
  };
  for (const [topic, messages] of byTopic) {
    for (const m of messages) {
      const bytes = (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64;
      if (size > 0 && size + bytes > maxBytes) flush();
      let list = current.get(topic);
      if (!list) current.set(topic, (list = []));
      list.push(m);
      size += bytes;
    }
  }
  flush();
  return requests;
}

export interface Readiness {
  readonly ok: boolean;
  readonly detail?: string;
}

/**
 * Ready while in the group and heard from its coordinator within a session timeout (after which
 * the coordinator would have dropped this member anyway). Heartbeats run every sessionTimeout/5.
 */
export function consumerReadiness(joined: boolean, lastHeartbeat: number, now: number, sessionTimeoutMs: number): Readiness {
  if (!joined) return { ok: false, detail: 'not in the consumer group' };
  const silent = now - lastHeartbeat;
  if (silent > sessionTimeoutMs) return { ok: false, detail: `no heartbeat from the group coordinator for ${Math.round(silent / 1000)} s` };
  return { ok: true };
}

interface Lane {
  readonly partition: number;
  producer: Producer | null;
  restored: boolean;
  /** Offsets (next to read) per input topic right after the last restore; skipped below them. */
  committed: Map<string, bigint> | null;
  /** Serialises batches and control actions of the partition. */
  chain: Promise<unknown>;
}

export interface ExactlyOnceDeps {
  readonly client: KafkaClient;
  readonly config: Config;
  readonly pipeline: Pipeline;
  readonly signals: SignalBus;
  readonly log: Logger;
  /** The ids of every configured portfolio (files, API, control topic). */
  readonly portfolioIds: () => readonly string[];
}

export class ExactlyOnceSource {
  readonly name = 'kafka-exactly-once';
  private consumer: Consumer | null = null;
  private ready = false;
  private stopping = false;
  private partitionCount: number;
  private memberId: string | null = null;
  private readonly lanes = new Map<number, Lane>();
  private readonly tracker: StateTracker;
  private readonly kindOf: Map<string, InputKind>;
  private readonly lag: ConsumerLag;
  private lastHeartbeat = 0;

  constructor(private readonly deps: ExactlyOnceDeps) {
    this.partitionCount = deps.config.kafka.partitions;
    this.tracker = new StateTracker(randomUUID());
    const t = deps.config.kafka.topics;
    this.lag = new ConsumerLag({ client: deps.client, topics: [t.spend, t.sales], signals: deps.signals, log: deps.log });
    this.kindOf = new Map([
      [t.spend, 'spend'],
      [t.sales, 'sales'],
    ]);
  }

  /** The input partition of a portfolio (valid once started). */
  partitionOf = (portfolioId: string): number => partitionFor(portfolioId, this.partitionCount);

  /** Whether the portfolio's partition is assigned here and restored. */
  owns(portfolioId: string): boolean {
    return this.lanes.get(this.partitionOf(portfolioId))?.restored === true;
  }

  ownedPartitions(): number[] {
    return [...this.lanes.values()].filter((l) => l.restored).map((l) => l.partition).sort((a, b) => a - b);
  }

  isReady(): boolean {
    return this.readiness().ok;
  }

  /**
   * Joined the group and heard from its coordinator lately: a broker outage turns this false
   * within HEARTBEAT_STALE_MS even when kafkajs has not yet given up on the connection.
   */
  readiness(): Readiness {
    return consumerReadiness(this.ready, this.lastHeartbeat, performance.now(), this.deps.config.kafka.sessionTimeoutMs);
  }

  /** Resolves once the consumer joined and every assigned partition is restored (or after `timeoutMs`). */
  async settled(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.ready && this.lanes.size > 0 && [...this.lanes.values()].every((l) => l.restored)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  async start(): Promise<void> {
    await this.checkPartitions();
    await this.startConsumer();
    this.lag.start();
  }

  /** Spend, sales and state must have the same partition count: partition p of each belongs together. */
  private async checkPartitions(): Promise<void> {
    const { topics } = this.deps.config.kafka;
    const admin = this.deps.client.admin();
    await admin.connect();
    try {
      const meta = await retryTransient(() => admin.fetchTopicMetadata({ topics: [topics.spend, topics.sales, topics.state] }));
      const counts = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      const distinct = new Set(Object.values(counts));
      if (distinct.size !== 1) {
        throw new SpendflowError(
          'CONFIG_INVALID',
          `topics ${topics.spend}, ${topics.sales} and ${topics.state} must have the same number of partitions (a portfolio's events and state share a partition number); found ${JSON.stringify(counts)}`,
        );
      }
      this.partitionCount = [...distinct][0]!;
    } finally {
      await admin.disconnect();
    }
  }

  private async startConsumer(): Promise<void> {
    const { config, client, log } = this.deps;
    const { topics } = config.kafka;
    const consumer = client.consumer({
      groupId: config.kafka.groupId,
      allowAutoTopicCreation: false,
      partitionAssigners: [coPartitionAssigner],
      readUncommitted: false,
      // A killed member holds its partitions until its session expires: keep that short.
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(config.kafka.sessionTimeoutMs / 5)),
      retry: { retries: 8, initialRetryTime: 300 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.HEARTBEAT, () => {
      this.lastHeartbeat = performance.now();
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.ready = true;
      this.lastHeartbeat = performance.now();
      const assigned = assignedPartitions(e.payload.memberAssignment);
      this.onAssignment(assigned, e.payload.memberId);
      log.info('joined consumer group', { groupId: e.payload.groupId, partitions: assigned });
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.ready = false;
      log.error('consumer crashed', { error: String(e.payload.error), restart: e.payload.restart });
      if (!e.payload.restart && !this.stopping) {
        // kafkajs gives up on errors it thinks permanent; a stream processor must not: start over.
        this.forgetAll();
        setTimeout(() => void this.restartConsumer(), 2_000).unref();
      }
    });
    consumer.on(consumer.events.DISCONNECT, () => {
      this.ready = false;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.spend, topics.sales], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Partitions are independent (each has its lane and producer): while one waits for its
      // commit, another processes. Processing itself is synchronous, so outboxes never mix.
      partitionsConsumedConcurrently: Math.max(1, Math.min(this.partitionCount, 4)),
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  private async restartConsumer(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.consumer?.disconnect().catch(() => {});
      await this.startConsumer();
    } catch (err) {
      this.deps.log.error('consumer restart failed; trying again', { error: errorMessage(err) });
      setTimeout(() => void this.restartConsumer(), 5_000).unref();
    }
  }

  private onAssignment(partitions: readonly number[], memberId: string): void {
    const keep = new Set(partitions);
    const sameMember = memberId === this.memberId;
    this.memberId = memberId;
    for (const [p, lane] of this.lanes) {
      if (!keep.has(p)) {
        this.lanes.delete(p);
        this.release(lane);
      } else if (!sameMember) {
        lane.restored = false;
      }
    }
    for (const p of partitions) {
      if (!this.lanes.has(p)) this.lanes.set(p, { partition: p, producer: null, restored: false, committed: null, chain: Promise.resolve() });
    }
    // Restore eagerly, so the API shows the portfolios before their next events arrive.
    for (const p of partitions) {
      const lane = this.lanes.get(p)!;
      if (!lane.restored) void this.inLane(lane, () => (lane.restored ? undefined : this.restore(lane))).catch((err: unknown) => {
        this.deps.log.warn('restore on assignment failed; the next batch retries it', { partition: p, error: errorMessage(err) });
      });
    }
  }

  /** Drops a partition's portfolios from memory; its producer goes (another instance owns it now). */
  private release(lane: Lane): void {
    lane.restored = false;
    this.lag.released(lane.partition);
    for (const id of this.deps.portfolioIds()) {
      if (this.partitionOf(id) === lane.partition) {
        this.deps.pipeline.drop(id);
        this.tracker.forget(id);
      }
    }
    const producer = lane.producer;
    lane.producer = null;
    void producer?.disconnect().catch(() => {});
  }

  private forgetAll(): void {
    for (const lane of this.lanes.values()) this.release(lane);
    this.lanes.clear();
    this.memberId = null;
  }

  private inLane<T>(lane: Lane, fn: () => Promise<T> | T): Promise<T> {
    const run = lane.chain.then(fn, fn);
    lane.chain = run.catch(() => {});
    return run;
  }

  private async producerFor(lane: Lane): Promise<Producer> {
    if (lane.producer) return lane.producer;
    const { config, client } = this.deps;
    const producer = client.producer({
      transactionalId: `${config.kafka.groupId}.p${lane.partition}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: config.kafka.transactionTimeoutMs,
      // The broker answers CONCURRENT_TRANSACTIONS while the previous commit completes; kafkajs's
      // default first retry (300 ms) would then set every commit's pace.
      retry: { initialRetryTime: 20, maxRetryTime: 2_000 },
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    // Connecting a transactional producer initialises its id: this is the fencing step.
    await producer.connect();
    lane.producer = producer;
    return producer;
  }

  /** Fence, mark, read the state partition up to the mark, hand it to the pipeline, seek. */
  private async restore(lane: Lane): Promise<void> {
    const started = performance.now();
    const { config, pipeline, signals, log, client } = this.deps;
    const { topics } = config.kafka;
    const p = lane.partition;
    lane.restored = false;
    if (lane.producer) {
      const old = lane.producer;
      lane.producer = null;
      await old.disconnect().catch(() => {});
    }
    const producer = await this.producerFor(lane);
    const marker = encodeKey({ kind: 'marker', id: randomUUID() });
    const txn = await producer.transaction();
    try {
      await txn.send({ topic: topics.state, messages: [{ key: marker, value: encodeValue({ at: new Date().toISOString() }), partition: p }] });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => {});
      throw err;
    }
    const read = await readCompacted(client, { topic: topics.state, partitions: [p], until: { key: marker }, groupPrefix: config.kafka.groupId, log });
    const table = read.tables.get(p) ?? new Map();
    // Tombstone the markers read (compaction then drops them), in the next transaction.
    for (const [key, value] of table) if (value !== null && key.startsWith('["marker"')) this.tracker.deleteLater(key, p);
    const snapshots = snapshotsOf(table);
    let restored = 0;
    for (const id of this.deps.portfolioIds()) {
      if (this.partitionOf(id) !== p) continue;
      const found = snapshots.get(id);
      for (const problem of found?.problems ?? []) {
        signals.emit({ type: 'state.invalid', portfolioId: id, problem });
        log.error('stored state could not be read; the portfolio restarts from what could', { portfolioId: id, problem });
      }
      pipeline.restore(id, found?.snapshot ?? null);
      this.tracker.adopt(id, found?.idKeys ?? []);
      if (found) restored++;
    }
    // Discard anything the pipeline produced for these portfolios before the restore.
    pipeline.takeOutbox();
    lane.committed = await this.committedOffsets(p);
    for (const [topic, offset] of lane.committed) this.consumer?.seek({ topic, partition: p, offset: offset.toString() });
    this.lag.resumed(p, lane.committed);
    lane.restored = true;
    const durationSeconds = (performance.now() - started) / 1000;
    signals.emit({ type: 'state.restored', partition: p, portfolios: restored, durationSeconds });
    log.info('partition restored', { partition: p, portfolios: restored, stateRecords: read.records, seconds: durationSeconds.toFixed(3) });
  }

  /** The group's committed offsets of partition p of each input topic (earliest when none). */
  private async committedOffsets(p: number): Promise<Map<string, bigint>> {
    const { config, client } = this.deps;
    const { topics } = config.kafka;
    const admin = client.admin();
    await admin.connect();
    try {
      const out = new Map<string, bigint>();
      const committed = await retryTransient(() => admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [topics.spend, topics.sales] }));
      for (const t of committed) {
        const entry = t.partitions.find((x) => x.partition === p);
        let offset = entry ? BigInt(entry.offset) : -1n;
        if (offset < 0n) {
          const low = (await retryTransient(() => admin.fetchTopicOffsets(t.topic))).find((x) => x.partition === p);
          offset = BigInt(low?.low ?? '0');
        }
        out.set(t.topic, offset);
      }
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  private async onBatch({ batch, isStale, heartbeat, resolveOffset, isRunning }: EachBatchPayload): Promise<void> {
    const lane = this.lanes.get(batch.partition);
    if (!lane || !isRunning()) return;
    await this.inLane(lane, async () => {
      for (let attempt = 1; ; attempt++) {
        if (!lane.restored) await this.restore(lane);
        if (isStale()) return;
        const from = lane.committed?.get(batch.topic);
        const messages = from === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= from);
        if (messages.length === 0) return;
        if (from !== undefined && BigInt(messages[0]!.offset) > from && BigInt(batch.messages[0]!.offset) > from) {
          // The batch starts after the committed offset: it was fetched before the seek took
          // effect. Wait for the batch the seek brings (offsets can also have gaps, from
          // transaction markers upstream: the seek then brings this batch again, accepted below).
          lane.committed!.delete(batch.topic);
          this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: from.toString() });
          return;
        }
        lane.committed?.delete(batch.topic);
        try {
          await this.processAndCommit(lane, batch.topic, messages, (offset) => resolveOffset(offset));
          this.lag.processed(batch.topic, lane.partition, BigInt(messages[messages.length - 1]!.offset) + 1n, batch.highWatermark);
          await heartbeat();
          return;
        } catch (err) {
          lane.restored = false;
          this.deps.signals.emit({ type: 'transaction.aborted', partition: lane.partition, reason: errorMessage(err) });
          this.deps.log.warn('transaction failed; restoring the partition and processing the batch again', { partition: lane.partition, attempt, error: errorMessage(err) });
          if (attempt >= 3) {
            // Without a cause chain: kafkajs restarts the consumer only for retriable errors.
            throw new SpendflowError('TRANSACTION_FAILED', `partition ${lane.partition}: ${errorMessage(err)}`, { retriable: true });
          }
          await new Promise((r) => setTimeout(r, 250 * attempt));
        }
      }
    });
  }

  /**
   * Processes a batch and commits it, in several transactions when the work takes long (model
   * updates and reoptimizations when many buckets close at once): a transaction is cut after
   * MAX_WORK_MS of processing, so what a closed bucket produced is committed soon after.
   * `onCommitted(offset)` follows each commit.
   */
  private async processAndCommit(lane: Lane, topic: string, messages: EachBatchPayload['batch']['messages'], onCommitted: (offset: string) => void): Promise<void> {
    const { pipeline } = this.deps;
    const kind = this.kindOf.get(topic)!;
    let chunkStart = performance.now();
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      pipeline.process({ topic, kind, key: m.key ? m.key.toString('utf8') : null, value: m.value ? m.value.toString('utf8') : '', partition: lane.partition, offset: m.offset }, Date.now());
      if (i === messages.length - 1 || performance.now() - chunkStart > MAX_WORK_MS) {
        const outbox = pipeline.takeOutbox();
        await this.commit(lane, outbox, [{ topic, partitions: [{ partition: lane.partition, offset: (BigInt(m.offset) + 1n).toString() }] }]);
        onCommitted(m.offset);
        chunkStart = performance.now();
      }
    }
  }

  /** One transaction: outputs, the changed state, and (when consuming) the offsets. */
  private async commit(lane: Lane, outbox: Outbox, offsets: { topic: string; partitions: { partition: number; offset: string }[] }[] | null): Promise<void> {
    const started = performance.now();
    const { config, pipeline } = this.deps;
    const { topics } = config.kafka;
    const producer = await this.producerFor(lane);
    const byTopic = new Map<string, { key: string | null; value: string | null; headers?: Record<string, string>; partition?: number }[]>();
    const add = (topic: string, m: { key: string | null; value: string | null; headers?: Record<string, string>; partition?: number }) => {
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push(m);
    };
    for (const events of outbox.reallocations) {
      for (const e of events) {
        const r = encodeReallocation(topics, e);
        add(r.topic, { key: r.key, value: r.value, headers: { ...r.headers } });
      }
    }
    for (const letter of outbox.deadLetters) {
      const r = encodeDeadLetter(topics, letter);
      add(r.topic, { key: r.key, value: r.value, headers: { ...r.headers } });
    }
    for (const s of this.tracker.records(pipeline, outbox, lane.partition)) add(topics.state, { key: s.key, value: s.value, partition: lane.partition });
    const records = [...byTopic.values()].reduce((n, l) => n + l.length, 0);
    if (records === 0 && offsets === null) return;
    const txn = await producer.transaction();
    try {
      // In requests of at most MAX_REQUEST_BYTES: many portfolios' decisions (a model is tens to
      // hundreds of kB) would exceed the broker's message.max.bytes (1 MB) as one record batch.
      // Uncompressed: gzip measured slower on this 2-core machine (bench:ingest, close → commit
      // p99 1.24 s against 0.99 s), the CPU being the scarcer resource here.
      for (const request of requestsOf(byTopic)) await txn.sendBatch({ acks: -1, topicMessages: request });
      if (offsets) await txn.sendOffsets({ consumerGroupId: config.kafka.groupId, topics: offsets });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => {});
      // The producer may be fenced or broken: the restore starts a new one.
      throw err;
    }
    this.tracker.committed(lane.partition);
    this.deps.signals.emit({ type: 'transaction.committed', partition: lane.partition, records, durationSeconds: (performance.now() - started) / 1000 });
    pipeline.announce(outbox);
  }

  /**
   * Runs a control action (pause's effect, a reoptimization on request) on a portfolio this
   * instance owns, and commits what it produced. NOT_OWNER when another instance owns it.
   */
  async act<T>(portfolioId: string, fn: () => T): Promise<T> {
    const lane = this.lanes.get(this.partitionOf(portfolioId));
    if (!lane || !lane.restored) {
      throw new SpendflowError('NOT_OWNER', `portfolio "${portfolioId}" is on partition ${this.partitionOf(portfolioId)}, which this instance does not own; ask the instance that does`);
    }
    return this.inLane(lane, async () => {
      if (!lane.restored) await this.restore(lane);
      const result = fn();
      const outbox = this.deps.pipeline.takeOutbox();
      try {
        await this.commit(lane, outbox, null);
      } catch (err) {
        lane.restored = false;
        this.deps.signals.emit({ type: 'transaction.aborted', partition: lane.partition, reason: errorMessage(err) });
        void this.inLane(lane, () => (lane.restored ? undefined : this.restore(lane))).catch(() => {});
        throw new SpendflowError('TRANSACTION_FAILED', `could not commit the action on ${portfolioId}: ${errorMessage(err)}`, { retriable: true });
      }
      return result;
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.ready = false;
    this.lag.stop();
    await this.consumer?.disconnect().catch(() => {});
    this.consumer = null;
    for (const lane of this.lanes.values()) {
      await lane.chain.catch(() => {});
      await lane.producer?.disconnect().catch(() => {});
      lane.producer = null;
    }
    this.lanes.clear();
  }
}
