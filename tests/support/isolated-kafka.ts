import { topicLayout } from '#shared/contracts/topics.ts';
import type { KafkaClient } from '#shared/kafka/kafka-client.ts';
import { createKafkajsClient } from '#shared/kafka/kafkajs-client.ts';
import { testEnv, testKafkaSecurity, testLogger } from './test-infra.ts';

/**
 * Kafka topics (and consumer groups) of a test's own: nothing it publishes reaches the shared
 * topics a developer's running platform consumes (the compacted catalog in particular keeps test
 * data for ever), and nothing from other runs reaches it. `close` deletes the topics.
 */
export interface IsolatedKafka {
  prefix: string;
  kafka: KafkaClient;
  close(): Promise<void>;
}

export async function isolatedKafka(name: string, prefix = `it-${name}-${Date.now().toString(36)}-`): Promise<IsolatedKafka> {
  const kafka = createKafkajsClient({ clientId: name, brokers: testEnv.KAFKA_BROKERS, topicPrefix: prefix, ...testKafkaSecurity }, testLogger);
  const admin = await kafka.admin();
  await admin.createTopics(topicLayout);
  return {
    prefix,
    kafka,
    async close() {
      await admin.deleteTopics(topicLayout.map((topic) => topic.name)).catch(() => {});
      await admin.disconnect();
    },
  };
}
