import { defineConfig } from 'vitest/config';

// Integration tests against real services. The global setup starts a local Apache Kafka broker
// (scripts/kafka.sh) unless KAFKA_BROKERS points at one, and fails loudly if neither works.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/integration/setup/global-kafka.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
