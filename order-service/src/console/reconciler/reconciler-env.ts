import { z } from 'zod';
import { parseEnv } from '#shared/config/env.ts';

/** Where the reconciler reads orders' stock (the payment service's address is PAYMENT_SERVICE_URL, which identity reads too). */
export const reconcilerEnvSchema = z.object({
  PRODUCT_SERVICE_URL: z
    .url()
    .default('http://127.0.0.1:8182')
    .describe("Where the reconciler reads orders' stock records (GET /api/v1/order-stock)."),
});

export const reconcilerEnvFrom = (rawEnv: Record<string, string | undefined>) => parseEnv(reconcilerEnvSchema, rawEnv);
