import { z } from 'zod';

/**
 * Every message on every topic travels in this envelope. `type` selects the payload schema;
 * `causationId` is the messageId of the message (or request) that caused this one.
 */
export const envelopeSchema = z.object({
  messageId: z.uuid(),
  type: z.string().min(1).max(100),
  orderId: z.guid().nullable(),
  sagaId: z.guid().nullable(),
  occurredAt: z.iso.datetime({ offset: true }),
  causationId: z.string().max(100).nullable(),
  payload: z.unknown(),
});

export type Envelope<TType extends string = string, TPayload = unknown> = Omit<z.infer<typeof envelopeSchema>, 'type' | 'payload'> & {
  type: TType;
  payload: TPayload;
};

/** A message family: the union of its `{type, payload}` variants, discriminated by type. */
export type MessageOf<TSchema extends z.ZodType> = z.infer<TSchema>;

/** Ids are 8-4-4-4-12 hex; the seed's product ids are not RFC 4122 versioned, so no version check. */
export const entityId = z.guid();

export const positiveMoney = z.number().int().positive().max(1_000_000_000_000);
export const quantity = z.number().int().positive().max(1_000_000);
export const reason = z.string().min(1).max(500);
