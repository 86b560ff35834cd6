import { settingsOrExit } from '#shared/config/service-settings.ts';
import { runServiceMain } from '#shared/runtime/service-host.ts';
import { paymentService } from './payment-service.ts';
import { paymentSettings } from './payment-settings.ts';

// A bad or mistyped variable stops the service here, in one line, before anything has started.
settingsOrExit(paymentSettings);
await runServiceMain(paymentService);
