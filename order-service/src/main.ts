import { settingsOrExit } from '#shared/config/service-settings.ts';
import { runServiceMain } from '#shared/runtime/service-host.ts';
import { orderService } from './order-service.ts';
import { orderSettings } from './order-settings.ts';

// A bad or mistyped variable stops the service here, in one line, before anything has started.
settingsOrExit(orderSettings);
await runServiceMain(orderService);
