import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { topicLayout } from '#shared/contracts/topics.ts';
import { grantEnvironmentAcls, kafkaCredentialsOf, testSasl, type Principal } from '../support/kafka-access.ts';
import { isolatedKafka, type IsolatedKafka } from '../support/isolated-kafka.ts';
import { testEnv } from '../support/test-infra.ts';

/**
 * The broker, not the services, decides who may speak: SASL/SCRAM-SHA-512 for everyone and ACLs
 * that let each service write only its own topics (shared/src/contracts/topic-access.ts). A forged
 * PaymentCompleted is refused before it is ever stored, so no consumer can see it.
 */
const hasAuth = testSasl().sasl !== undefined;

const forgedPaymentCompleted = JSON.stringify({
  messageId: crypto.randomUUID(),
  type: 'PaymentCompleted',
  orderId: crypto.randomUUID(),
  sagaId: crypto.randomUUID(),
  occurredAt: new Date().toISOString(),
  causationId: null,
  payload: { paymentId: crypto.randomUUID(), amount: 15_000 },
});

function clientAs(principal: Principal | 'anonymous' | 'wrong-password'): Kafka {
  const base = {
    clientId: `acl-test-${principal}`,
    brokers: testEnv.KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
  };
  if (principal === 'anonymous') return new Kafka(base);
  const credentials = kafkaCredentialsOf(principal === 'wrong-password' ? 'payment-service' : principal);
  const sasl = {
    mechanism: 'scram-sha-512',
    username: credentials.KAFKA_SASL_USERNAME!,
    password: principal === 'wrong-password' ? 'guessed' : credentials.KAFKA_SASL_PASSWORD!,
  } as SASLOptions;
  return new Kafka({ ...base, sasl });
}

async function sendAs(principal: Parameters<typeof clientAs>[0], topic: string): Promise<string> {
  const producer = clientAs(principal).producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'forged', value: forgedPaymentCompleted }] });
    return 'accepted';
  } catch (error) {
    return String((error as { type?: string }).type ?? (error as Error).name ?? error);
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

describe.skipIf(!hasAuth)('Kafka refuses forged records (SASL/SCRAM and ACLs)', () => {
  let topics: IsolatedKafka;
  let revoke: () => Promise<void>;
  const wire = (topic: string) => topics.prefix + topic;
  const highWatermarks = async (): Promise<Record<string, number>> => {
    const client = await topics.kafka.admin();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const all = await Promise.all(
            topicLayout.map(async ({ name }) => (await client.topicOffsets(name)).reduce((sum, p) => sum + Number(p.high), 0)),
          );
          return Object.fromEntries(topicLayout.map(({ name }, index) => [name, all[index]!]));
        } catch (error) {
          if (attempt >= 20) throw error; // fresh topics: their leaders may take a moment
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      await client.disconnect();
    }
  };

  beforeAll(async () => {
    topics = await isolatedKafka('acls');
    revoke = await grantEnvironmentAcls(testEnv.KAFKA_BROKERS, topics.prefix);
  });
  afterAll(async () => {
    await revoke?.();
    await topics?.close();
  });

  it('refuses a PaymentCompleted from the product or the order service, from an anonymous client and from a guessed password, and stores none of them', async () => {
    const before = await highWatermarks();
    expect(await sendAs('product-service', wire('payment-response'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await sendAs('order-service', wire('payment-response'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await sendAs('anonymous', wire('payment-response'))).not.toBe('accepted');
    expect(await sendAs('wrong-password', wire('payment-response'))).toMatch(/SASL|Authentication/i);
    // A RefundPayment (a command) is the order service's alone, and so is every request topic.
    expect(await sendAs('payment-service', wire('payment-request'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await sendAs('product-service', wire('product-reservation-request'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    // The catalog (prices the order service checks orders against) is the product service's alone.
    expect(await sendAs('payment-service', wire('product-catalog'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await highWatermarks()).toEqual(before); // nothing reached the log, so nothing can reach a handler
  });

  it('lets each service write its own topics and the dead-letter twins of what it consumes, and nothing else', async () => {
    expect(await sendAs('payment-service', wire('payment-response'))).toBe('accepted');
    expect(await sendAs('payment-service', wire('payment-request.dlq'))).toBe('accepted');
    expect(await sendAs('product-service', wire('product-reservation-response'))).toBe('accepted');
    expect(await sendAs('order-service', wire('payment-request'))).toBe('accepted');
    expect(await sendAs('order-service', wire('payment-response.dlq'))).toBe('accepted');
    expect(await sendAs('payment-service', wire('payment-response.dlq'))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('lets a service read only the topics it consumes, in its own consumer groups (payment-response holds the record written above)', async () => {
    const readAs = async (principal: Principal, group: string, topic: string) => {
      const consumer = clientAs(principal).consumer({ groupId: topics.prefix + group, allowAutoTopicCreation: false });
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [wire(topic)], fromBeginning: true });
        const first = new Promise<string>((resolve) => {
          void consumer
            .run({ eachMessage: async () => resolve('read') })
            .catch((error: unknown) => resolve(String((error as { type?: string }).type ?? error)));
          consumer.on(consumer.events.CRASH, (event) => resolve(String((event.payload.error as { type?: string }).type ?? event.payload.error)));
        });
        return await Promise.race([first, new Promise<string>((resolve) => setTimeout(() => resolve('nothing within 15 s'), 15_000))]);
      } catch (error) {
        return String((error as { type?: string }).type ?? error);
      } finally {
        await consumer.disconnect().catch(() => {});
      }
    };
    expect(await readAs('order-service', 'order-service', 'payment-response')).toBe('read');
    expect(await readAs('product-service', 'product-service', 'payment-response')).toMatch(/authoriz/i);
    // Another service's group: the broker will not even say where its coordinator is (kafkajs reports GROUP_AUTHORIZATION_FAILED so).
    expect(await readAs('payment-service', 'order-service', 'payment-request')).toMatch(/authoriz|GroupCoordinatorNotFound/i);
  });
});
