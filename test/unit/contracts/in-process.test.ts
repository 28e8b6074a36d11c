import { InProcessBus } from '../../../src/bus/in-process-bus.ts';
import { defaultConfig } from '../../../src/config/loader.ts';
import { InProcessSource } from '../../../src/ingest/in-process-source.ts';
import { createLogger } from '../../../src/log.ts';
import { InProcessPublisher } from '../../../src/publish/in-process-sink.ts';
import { describeAllocationSinkContract, describeEventSourceContract } from '../../support/contracts.ts';

const topics = defaultConfig().kafka.topics;

describeAllocationSinkContract('in-process bus', async () => {
  const bus = new InProcessBus();
  return {
    sink: new InProcessPublisher(bus, topics),
    topics,
    read: async (topic) => bus.read(topic).map((r) => ({ key: r.key, value: r.value })),
    close: async () => {},
  };
});

describeEventSourceContract('in-process bus', async () => {
  const bus = new InProcessBus();
  const source = new InProcessSource(bus, topics, createLogger('silent'));
  return {
    source,
    topics,
    write: async (topic, key, value) => {
      bus.append(topic, key, value);
    },
    close: () => source.stop(),
  };
});
