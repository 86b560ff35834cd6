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
