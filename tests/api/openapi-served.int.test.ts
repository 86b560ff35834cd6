import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '#shared/runtime/service-host.ts';
import { orderService } from '../../order-service/src/order-service.ts';
import { startPaymentService } from '../../payment-service/test/payment-test-kit.ts';
import { startProductService } from '../../product-service/test/product-test-kit.ts';
import { documentedServices, openApiDocumentOf, type DocumentedService } from '../../scripts/lib/openapi-documents.ts';
import { isolatedKafka, type IsolatedKafka } from '../support/isolated-kafka.ts';
import { freshDatabase } from '../support/test-infra.ts';

/**
 * The unit test lints and generates clients from documents built without infrastructure
 * (scripts/lib/openapi-documents.ts adds each service's routes as its definition's api() does). This
 * checks that shortcut: a started service serves exactly that document.
 */
describe('the OpenAPI document built in-process is the one a started service serves', () => {
  let kafka: IsolatedKafka;
  const running: Partial<Record<DocumentedService, RunningService>> = {};

  beforeAll(async () => {
    kafka = await isolatedKafka('openapi');
    await Promise.all(['openapi_order_test', 'openapi_product_test', 'openapi_payment_test'].map((name) => freshDatabase(name)));
    running['product-service'] = await startProductService('openapi_product_test', kafka, { freshDb: false });
    running['payment-service'] = await startPaymentService('openapi_payment_test', kafka);
    running['order-service'] = await startService(orderService, {
      port: 0,
      dbName: 'openapi_order_test',
      env: {
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: kafka.prefix,
        QUEUE_PREFIX: kafka.prefix.replace(/-$/, ''),
        KAFKA_GROUP_ID: `${kafka.prefix}order-service`,
      },
    });
  });

  afterAll(async () => {
    await Promise.all(Object.values(running).map((service) => service.stop()));
    await kafka?.close();
  });

  it.each(documentedServices)('%s', async (service) => {
    const served = await (await fetch(`${running[service]!.url}/openapi.json`)).json();
    expect(served).toEqual(await openApiDocumentOf(service));
  });
});
