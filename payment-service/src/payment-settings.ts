import { serviceEnvSchema, SHARED_SETTING_PREFIXES } from '#shared/config/service-env.ts';
import type { ServiceSettings } from '#shared/config/service-settings.ts';
import { paymentService } from './payment-service.ts';

/** Every variable the payment service reads: the platform's own (it has none of its own). */
export const paymentSettings = {
  service: paymentService.name,
  schema: serviceEnvSchema(paymentService),
  ownedPrefixes: SHARED_SETTING_PREFIXES,
} satisfies ServiceSettings;
