/**
 * Retries a Kafka admin call through the transient errors of a broker that is starting or of a
 * topic that was just created ("not the leader", "leader not available", "coordinator loading").
 */
export async function retryTransient<T>(fn: () => Promise<T>, attempts = 20, delayMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const e = err as { retriable?: boolean; type?: string; message?: string };
      const transient = e.retriable === true || /leader|coordinator|not available|loading|UNKNOWN_TOPIC/i.test(`${e.type ?? ''} ${e.message ?? ''}`);
      if (!transient || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
