import { describe, expect, it, vi } from 'vitest';

const kafkaConfigs: Record<string, unknown>[] = [];
vi.mock('kafkajs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('kafkajs')>();
  // Records what the adapter hands to kafkajs; nothing connects.
  class Kafka {
    constructor(config: Record<string, unknown>) {
      kafkaConfigs.push(config);
    }
  }
  return { ...actual, Kafka };
});

const { baseEnvSchema, parseEnv } = await import('../src/config/env.ts');
const { kafkaSecurityOf } = await import('../src/kafka/kafka-security.ts');
const { createKafkajsClient } = await import('../src/kafka/kafkajs-client.ts');
const { createLogger } = await import('../src/observability/logger.ts');

describe('Kafka TLS and SASL settings', () => {
  it('reach the kafkajs client from KAFKA_SSL and KAFKA_SASL_*', () => {
    const env = parseEnv(baseEnvSchema, {
      KAFKA_BROKERS: 'broker-1:9093,broker-2:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'order-service',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    createKafkajsClient({ clientId: 'order-service-1', brokers: env.KAFKA_BROKERS, ...kafkaSecurityOf(env) }, createLogger('test', 'silent'));
    expect(kafkaConfigs.at(-1)).toMatchObject({
      brokers: ['broker-1:9093', 'broker-2:9093'],
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'order-service', password: 's3cret' },
    });
  });

  it('are off by default (plaintext, local broker)', () => {
    expect(kafkaSecurityOf(parseEnv(baseEnvSchema, {}))).toEqual({ ssl: false, sasl: undefined });
  });

  it('refuse a half-given SASL setting instead of connecting without authentication', () => {
    for (const partial of [
      { KAFKA_SASL_MECHANISM: 'plain' },
      { KAFKA_SASL_USERNAME: 'u' },
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' },
    ]) {
      expect(() => kafkaSecurityOf(parseEnv(baseEnvSchema, partial))).toThrow(/go together/);
    }
  });
});
