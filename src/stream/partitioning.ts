/**
 * Which partition a portfolio lives on, and a consumer-group assigner that keeps a partition
 * number together across topics.
 *
 * Spend and sales are two topics keyed by portfolioId with the same partition count, so a
 * portfolio's events sit on partition p of both; its state sits on partition p of the state
 * topic. The assigner gives partition p of every subscribed topic to one member, so one instance
 * holds everything of a portfolio (kafkajs's round-robin assigner would split them).
 */
import kafkajs, { type Assigner, type GroupMember, type PartitionAssigner } from 'kafkajs';

const { AssignerProtocol, Partitioners } = kafkajs;

/** The partition Java clients and kafkajs's default partitioner pick for `key` (murmur2). */
export function partitionFor(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}

export const CO_PARTITION_ASSIGNER = 'SpendflowCoPartition';

/** Partition numbers split round-robin over the members sorted by id; p goes with p everywhere. */
export function coPartitionPlan(memberIds: readonly string[], partitionsByTopic: Readonly<Record<string, number>>): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const out = new Map<string, Record<string, number[]>>(members.map((m) => [m, {}]));
  if (members.length === 0) return out;
  for (const [topic, count] of Object.entries(partitionsByTopic)) {
    for (let p = 0; p < count; p++) {
      const plan = out.get(members[p % members.length]!)!;
      (plan[topic] ??= []).push(p);
    }
  }
  return out;
}

export const coPartitionAssigner: PartitionAssigner = ({ cluster }) => {
  const assigner: Assigner = {
    name: CO_PARTITION_ASSIGNER,
    version: 1,
    async assign({ members, topics }: { members: GroupMember[]; topics: string[] }) {
      const counts: Record<string, number> = {};
      for (const topic of topics) counts[topic] = cluster.findTopicPartitionMetadata(topic).length;
      const plan = coPartitionPlan(members.map((m) => m.memberId), counts);
      return [...plan].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }: { topics: string[] }) {
      return { name: CO_PARTITION_ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
    },
  };
  return assigner;
};

/** The partition numbers in a GROUP_JOIN member assignment (the same for every topic). */
export function assignedPartitions(memberAssignment: Readonly<Record<string, readonly number[]>>): number[] {
  return [...new Set(Object.values(memberAssignment).flat())].sort((a, b) => a - b);
}
