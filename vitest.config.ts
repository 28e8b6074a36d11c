import { defineConfig } from 'vitest/config';

// Unit and quality tests: no network, no services. Integration tests have their own config
// (vitest.integration.config.ts) because they need a Kafka broker.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/quality/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
