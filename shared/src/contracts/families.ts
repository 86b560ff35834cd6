import type { z } from 'zod';
import { paymentRequestSchema, paymentResponseSchema } from './payment.ts';
import { productCatalogSchema } from './product-catalog.ts';
import { productReservationRequestSchema, productReservationResponseSchema } from './product-reservation.ts';
import { topics, type Topic } from './topics.ts';

/** Which message family travels on which topic: producers and consumers validate with the same schema. */
export const messageFamilyByTopic = {
  [topics.productReservationRequest]: productReservationRequestSchema,
  [topics.productReservationResponse]: productReservationResponseSchema,
  [topics.paymentRequest]: paymentRequestSchema,
  [topics.paymentResponse]: paymentResponseSchema,
  [topics.productCatalog]: productCatalogSchema,
} as const satisfies Record<Topic, z.ZodType>;

export type MessageFamilyByTopic = typeof messageFamilyByTopic;
export type MessageOnTopic<T extends Topic> = z.infer<MessageFamilyByTopic[T]>;

const topicByType = new Map<string, Topic>();
for (const [topic, schema] of Object.entries(messageFamilyByTopic) as [Topic, z.ZodDiscriminatedUnion][]) {
  for (const option of schema.options) {
    const type = (option as z.ZodObject<{ type: z.ZodLiteral<string> }>).shape.type.value;
    topicByType.set(type, topic);
  }
}

/** The topic a message type is published on (e.g. ChargePayment → payment-request). */
export function topicOfMessageType(type: string): Topic {
  const topic = topicByType.get(type);
  if (!topic) throw new Error(`no topic carries message type ${type}`);
  return topic;
}

/** Every message of every topic, and its type names: what `outbox.add` is typed by. */
export type AnyMessage = MessageOnTopic<Topic>;
export type MessageType = AnyMessage['type'];
export type PayloadOf<T extends MessageType> = Extract<AnyMessage, { type: T }>['payload'];
