/** Every Kafka topic of the platform, in one place. Record key = order id (product id on the catalog). */
export const topics = {
  productReservationRequest: 'product-reservation-request',
  productReservationResponse: 'product-reservation-response',
  paymentRequest: 'payment-request',
  paymentResponse: 'payment-response',
  productCatalog: 'product-catalog',
} as const;

export type Topic = (typeof topics)[keyof typeof topics];

export const allTopics: readonly Topic[] = Object.values(topics);

export const deadLetterTopicOf = (topic: string): string => `${topic}.dlq`;

export const isDeadLetterTopic = (topic: string): boolean => topic.endsWith('.dlq');

export const originalTopicOf = (deadLetterTopic: string): string => deadLetterTopic.replace(/\.dlq$/, '');

/** How each topic is laid out: partitions > 1 so per-key ordering is real; the catalog is compacted. */
export const topicLayout: readonly { name: string; partitions: number; compacted: boolean }[] = [
  ...allTopics.map((name) => ({ name, partitions: 4, compacted: name === topics.productCatalog })),
  ...allTopics.map((name) => ({ name: deadLetterTopicOf(name), partitions: 1, compacted: false })),
];

/** The four topics one saga's commands and replies travel on. */
export const sagaTopics: readonly Topic[] = [
  topics.productReservationRequest,
  topics.productReservationResponse,
  topics.paymentRequest,
  topics.paymentResponse,
];
