import { z } from 'zod';
import { verificationEnvShape } from './verification-env.ts';
import { baseEnvSchema } from './env.ts';
import { tracingEnvSchema } from './tracing-env.ts';

/** Where one service listens and which database it owns (its definition's defaults). */
export interface ServiceDefaults {
  defaultPort: number;
  defaultDbName: string;
}

/**
 * Everything every service reads: database, Kafka, Redis, HTTP, logging, token checks and tracing.
 * A service's own schema extends this one.
 */
export function serviceEnvSchema(defaults: ServiceDefaults) {
  return baseEnvSchema
    .extend({
      PORT: z.coerce.number().int().min(0).max(65535).default(defaults.defaultPort).describe('HTTP port (0: any free port).'),
      DB_NAME: z.string().min(1).default(defaults.defaultDbName).describe("The service's own database (created and migrated at start)."),
    })
    .extend(verificationEnvShape)
    .extend(tracingEnvSchema.shape);
}

/** Prefixes whose every variable is one of these settings (or a script's): anything else under them is a typo. */
export const SHARED_SETTING_PREFIXES = ['DB_', 'KAFKA_', 'REDIS_', 'QUEUE_', 'LOG_', 'AUTH_JWKS_', 'INBOX_', 'OUTBOX_'] as const;
