import { runServiceMain } from '#shared/runtime/service-host.ts';
import { productService } from './product-service.ts';

await runServiceMain(productService);
