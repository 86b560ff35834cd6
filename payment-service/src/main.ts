import { runServiceMain } from '#shared/runtime/service-host.ts';
import { paymentService } from './payment-service.ts';

await runServiceMain(paymentService);
