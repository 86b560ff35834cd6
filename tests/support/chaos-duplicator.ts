// The duplicate delivery storm, as a process of its own next to the services:
//   node tests/support/chaos-duplicator.ts <brokers> <topic prefix> <topic>...
// It joins a consumer group of its own on the given topics (new records only) and publishes every
// record it sees once more — same partition, key, value and headers — so each message arrives
// twice. Its own copies carry one extra header and are not copied again. Prints "ready" once it
// consumes, and "duplicated <n>" when it gets SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
// The duplicator runs as its own process: it needs kafkajs's idle-timer fix too (else Node prints TimeoutNegativeWarning).
import '#shared/kafka/kafkajs-request-queue-fix.ts';
import { testSasl } from './kafka-access.ts';

export const duplicateHeader = 'x-chaos-duplicate';

export interface Duplicator {
  /** Stops the process; resolves with how many records it published a second time. */
  stop(): Promise<number>;
}

/** Starts the duplicator process (as the broker's admin: `credentials`, KAFKA_SASL_*); resolves once its consumer has joined and fetched. */
export async function startDuplicator(
  brokers: string,
  prefix: string,
  topics: readonly string[],
  credentials: Record<string, string> = {},
): Promise<Duplicator> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), brokers, prefix, ...topics], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...credentials, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  const lines = createInterface({ input: child.stdout! });
  let duplicated = -1;
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('duplicator did not join its group in 60 s')), 60_000);
    lines.on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve();
      }
      const match = /^duplicated (\d+)$/.exec(line);
      if (match) duplicated = Number(match[1]);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`duplicator exited with ${code}`));
    });
  });
  await ready;
  return {
    async stop() {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
      return duplicated;
    },
  };
}

async function main(brokers: string, prefix: string, topics: string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'chaos-duplicator',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 20 },
    ...testSasl(),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${prefix}chaos-duplicator`, maxWaitTimeInMs: 50, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: topics.map((topic) => prefix + topic), fromBeginning: false });
  let duplicated = 0;
  let announced = false;
  consumer.on(consumer.events.FETCH, () => {
    if (!announced) {
      announced = true;
      console.log('ready');
    }
  });
  await consumer.run({
    eachBatch: async (payload) => {
      const { batch } = payload;
      const copies = batch.messages
        .filter((message) => !message.headers?.[duplicateHeader])
        .map((message) => ({
          key: message.key,
          value: message.value,
          partition: batch.partition,
          headers: { ...(message.headers as IHeaders), [duplicateHeader]: '1' },
        }));
      if (copies.length > 0) {
        await producer.send({ topic: batch.topic, acks: -1, messages: copies });
        duplicated += copies.length;
      }
      for (const message of batch.messages) payload.resolveOffset(message.offset);
      await payload.heartbeat();
    },
  });
  const stop = async () => {
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    console.log(`duplicated ${duplicated}`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [brokers, prefix, ...topics] = process.argv.slice(2);
  await main(brokers, prefix, topics);
}
