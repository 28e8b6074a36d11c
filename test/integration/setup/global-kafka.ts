/**
 * Global setup for integration tests: a real Apache Kafka broker. Uses KAFKA_BROKERS when set
 * (e.g. a developer's compose stack); otherwise starts a local single-node broker with
 * scripts/kafka.sh and stops it afterwards. If neither works, setup throws and every integration
 * test fails: nothing is skipped.
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export default function setup(project: TestProject): () => void {
  const given = process.env['KAFKA_BROKERS'];
  let started = false;
  let brokers: string;
  if (given) {
    execFileSync('node', [resolve(repo, 'scripts/kafka-ready.mjs'), given, '30000'], { stdio: 'inherit' });
    brokers = given;
  } else {
    brokers = execFileSync('bash', [resolve(repo, 'scripts/kafka.sh'), 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    started = true;
  }
  if (!/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/.test(brokers)) throw new Error(`Kafka did not start: got "${brokers}" instead of host:port`);
  project.provide('kafkaBrokers', brokers);
  return () => {
    if (started) execFileSync('bash', [resolve(repo, 'scripts/kafka.sh'), 'stop'], { stdio: 'inherit' });
  };
}
