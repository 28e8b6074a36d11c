// Waits until a Kafka broker answers a metadata request and has a group coordinator.
// usage: node scripts/kafka-ready.mjs <brokers> [timeoutMs]
import kafkajs from 'kafkajs';

const [brokers = '127.0.0.1:9092', timeoutArg = '60000'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg);
const kafka = new kafkajs.Kafka({
  clientId: 'spendflow-ready',
  brokers: brokers.split(','),
  logLevel: kafkajs.logLevel.NOTHING,
  retry: { retries: 0 },
  connectionTimeout: 1000,
});

let lastError = 'no attempt';
while (Date.now() < deadline) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.describeCluster();
    await admin.disconnect();
    process.exit(0);
  } catch (err) {
    lastError = err instanceof Error ? err.message : String(err);
    await admin.disconnect().catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
  }
}
console.error(`[kafka] not ready after ${timeoutArg} ms: ${lastError}`);
process.exit(1);
