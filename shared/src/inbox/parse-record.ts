import type { z } from 'zod';
import { envelopeSchema, type Envelope } from '../contracts/envelope.ts';
import type { IncomingRecord } from '../kafka/kafka-client.ts';

export type ParsedRecord<TMessage> = { ok: true; envelope: Envelope; message: TMessage } | { ok: false; reason: string };

/** JSON → envelope → the topic's message family. Anything that fails is a dead letter, never a handler call. */
export function parseRecord<TSchema extends z.ZodType>(record: IncomingRecord, family: TSchema): ParsedRecord<z.infer<TSchema>> {
  if (!record.value || record.value.length === 0) return { ok: false, reason: 'empty record value' };
  let json: unknown;
  try {
    json = JSON.parse(record.value.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: `invalid envelope: ${describeIssues(envelope.error)}` };
  const message = family.safeParse({ type: envelope.data.type, payload: envelope.data.payload });
  if (!message.success) {
    return { ok: false, reason: `invalid ${envelope.data.type} message: ${describeIssues(message.error)}` };
  }
  return { ok: true, envelope: envelope.data as Envelope, message: message.data };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
