import type { ServiceDefinition } from '#shared/runtime/service-host.ts';
import { paymentServiceAccess } from './auth/payment-access.ts';
import { CreditHistory } from './credits/credit-history.entity.ts';
import { createCreditQueries } from './credits/credit-queries.ts';
import { addCreditRoutes } from './credits/credits.index.ts';
import { CustomerCreditSchema } from './credits/customer-credit.entity.ts';
import { createOpenCreditAccounts, seedCreditAccounts } from './credits/open-credit-accounts.ts';
import { createTopUpCredit } from './credits/top-up-credit.ts';
import { topUpRequestCleanup } from './credits/top-up-request-cleanup.ts';
import { addCustomerRoutes } from './customers/customers.index.ts';
import { paymentMigrations } from './db/payment-migrations.ts';
import { createPaymentQueries } from './payments/payment-queries.ts';
import { paymentCommandRoute } from './payments/payment-commands.consumer.ts';
import { PaymentSchema } from './payments/payment.entity.ts';
import { addPaymentRoutes } from './payments/payments.index.ts';

/** The payment service: customer credit, one payment per order, refunds, and the credit ledger. */
export const paymentService: ServiceDefinition = {
  name: 'payment-service',
  title: 'Payment service',
  description: 'Charges and refunds customer credit for the order saga; every balance movement is a ledger row.',
  defaultPort: 8183,
  defaultDbName: 'payment_db',
  entities: [CustomerCreditSchema, PaymentSchema, CreditHistory],
  migrations: paymentMigrations,
  access: paymentServiceAccess,
  build(deps) {
    const { orm, clock, ids, messaging, metrics } = deps;
    const creditQueries = createCreditQueries({ orm });
    const paymentQueries = createPaymentQueries({ orm });
    const openCreditAccounts = createOpenCreditAccounts({ orm, clock });

    return {
      api(app) {
        addCreditRoutes(app, { queries: creditQueries, topUpCredit: createTopUpCredit({ pool: messaging.pool, clock, ids }) });
        addPaymentRoutes(app, { queries: paymentQueries, ledger: creditQueries });
        addCustomerRoutes(app, { queries: creditQueries });
      },
      consumers: [paymentCommandRoute({ outbox: messaging.outbox, clock, ids, metrics })],
      jobs: [topUpRequestCleanup({ pool: messaging.pool, clock })],
      onStart: () => openCreditAccounts(seedCreditAccounts),
    };
  },
};
