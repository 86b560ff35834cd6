import { settingsOrExit } from '#shared/config/service-settings.ts';
import { runServiceMain } from '#shared/runtime/service-host.ts';
import { productService } from './product-service.ts';
import { productSettings } from './product-settings.ts';

// A bad or mistyped variable stops the service here, in one line, before anything has started.
settingsOrExit(productSettings);
await runServiceMain(productService);
