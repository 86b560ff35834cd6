import type { BaseEnv } from '../config/env.ts';
import type { KafkaConnectionSettings } from './kafka-client.ts';

/**
 * TLS and SASL of the Kafka clients, from KAFKA_SSL and KAFKA_SASL_MECHANISM / _USERNAME /
 * _PASSWORD. Kafka is internal to the platform (no end-user traffic), but a production broker
 * should still require both; a half-given SASL setting is a mistake that would otherwise connect
 * without authentication, so it stops the process instead.
 */
export function kafkaSecurityOf(
  env: Pick<BaseEnv, 'KAFKA_SSL' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'>,
): Pick<KafkaConnectionSettings, 'ssl' | 'sasl'> {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  if (!mechanism && !username && !password) return { ssl: env.KAFKA_SSL, sasl: undefined };
  if (!mechanism || !username || password === undefined) {
    throw new Error('invalid environment: KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together');
  }
  return { ssl: env.KAFKA_SSL, sasl: { mechanism, username, password } };
}
