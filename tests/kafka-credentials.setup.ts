import { kafkaCredentialsOf } from './support/kafka-access.ts';

// Every test's own Kafka clients (and the services a test starts in its own process) talk to the
// broker as the admin principal that infra/kafka/kafka.sh generated, unless the environment says
// otherwise; services started as processes get their own principals (tests/support/platform.ts).
if (!process.env.KAFKA_SASL_USERNAME) {
  for (const [name, value] of Object.entries(kafkaCredentialsOf('admin'))) process.env[name] = value;
}
