import { serviceEnvSchema, SHARED_SETTING_PREFIXES } from '#shared/config/service-env.ts';
import type { ServiceSettings } from '#shared/config/service-settings.ts';
import { productService } from './product-service.ts';

/** Every variable the product service reads: the platform's own (it has none of its own). */
export const productSettings = {
  service: productService.name,
  schema: serviceEnvSchema(productService),
  ownedPrefixes: SHARED_SETTING_PREFIXES,
} satisfies ServiceSettings;
