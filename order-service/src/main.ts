import { runServiceMain } from '#shared/runtime/service-host.ts';
import { orderService } from './order-service.ts';

await runServiceMain(orderService);
