import { allTopics, deadLetterTopicOf, topicLayout, topics, type Topic } from './topics.ts';

/**
 * Who may write and read which topic: only a service may speak for itself (docs/security.md, the
 * Kafka row). Each service has its own Kafka principal (SASL/SCRAM, the user name is the
 * service name); the broker's ACLs are built from this table — by infra/kafka/kafka.sh for the
 * topics without a prefix (it lists the same table; tests/security/kafka-acls.unit.test.ts keeps
 * them equal), by the test harness for a run's prefixed topics.
 */
export const servicePrincipals = ['order-service', 'product-service', 'payment-service'] as const;
export type ServicePrincipal = (typeof servicePrincipals)[number];

export const topicAccess: Record<Topic, { writer: ServicePrincipal; reader: ServicePrincipal }> = {
  [topics.productReservationRequest]: { writer: 'order-service', reader: 'product-service' },
  [topics.productReservationResponse]: { writer: 'product-service', reader: 'order-service' },
  [topics.paymentRequest]: { writer: 'order-service', reader: 'payment-service' },
  [topics.paymentResponse]: { writer: 'payment-service', reader: 'order-service' },
  [topics.productCatalog]: { writer: 'product-service', reader: 'order-service' },
};

/** The dead letters of a topic are written by its consumer and read by the order service (operators see them all there). */
export const deadLetterWriterOf = (topic: Topic): ServicePrincipal => topicAccess[topic].reader;
export const deadLetterReader: ServicePrincipal = 'order-service';

/** Whether a service may publish to a topic (a `.dlq` topic included), by the table above. */
export function mayWrite(principal: ServicePrincipal, topic: string): boolean {
  const original = allTopics.find((name) => name === topic || deadLetterTopicOf(name) === topic);
  if (!original) return false;
  return topic === original ? topicAccess[original].writer === principal : deadLetterWriterOf(original) === principal;
}

export type AclOperation = 'WRITE' | 'READ' | 'DESCRIBE';

export interface AclGrant {
  principal: ServicePrincipal;
  resource: 'TOPIC' | 'GROUP';
  /** The full name on the wire (prefix included); a group grant covers every group starting with it. */
  name: string;
  pattern: 'LITERAL' | 'PREFIXED';
  operation: AclOperation;
}

/**
 * The ACLs of one environment (topic prefix): per service, WRITE on the topics it owns and on the
 * dead-letter twins of those it consumes, READ on what it consumes, DESCRIBE on every platform
 * topic (metadata only: each service checks at start that its environment's topics exist), and
 * READ on its consumer groups (every group named after it: `order-service`, `order-service-catalog`, …).
 */
export function aclGrantsFor(prefix = ''): AclGrant[] {
  const grants: AclGrant[] = [];
  const topic = (principal: ServicePrincipal, name: string, operation: AclOperation) =>
    grants.push({ principal, resource: 'TOPIC', name: prefix + name, pattern: 'LITERAL', operation });
  for (const name of allTopics) {
    const { writer, reader } = topicAccess[name];
    topic(writer, name, 'WRITE');
    topic(reader, name, 'READ');
    topic(deadLetterWriterOf(name), deadLetterTopicOf(name), 'WRITE');
    topic(deadLetterReader, deadLetterTopicOf(name), 'READ');
  }
  for (const principal of servicePrincipals) {
    for (const { name } of topicLayout) topic(principal, name, 'DESCRIBE');
    grants.push({ principal, resource: 'GROUP', name: prefix + principal, pattern: 'PREFIXED', operation: 'READ' });
  }
  return grants;
}
