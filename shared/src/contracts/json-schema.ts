import { z } from 'zod';
import { envelopeSchema } from './envelope.ts';
import { messageFamilyByTopic } from './families.ts';

/** The contracts as JSON Schema, for teams that do not read TypeScript. */
export function contractsAsJsonSchema(): Record<string, unknown> {
  return {
    envelope: z.toJSONSchema(envelopeSchema, { unrepresentable: 'any' }),
    topics: Object.fromEntries(Object.entries(messageFamilyByTopic).map(([topic, schema]) => [topic, z.toJSONSchema(schema)])),
  };
}
