// Consumes payment-request in the given group; commits offsets after each batch; on the record for
// the doomed order it commits the handler's transaction and then dies with SIGKILL before the
// offset can be committed — the crash the inbox must absorb.
import { createMessageConsumer, route } from '../src/inbox/message-consumer.ts';
import { topics } from '../src/contracts/topics.ts';
import { applyEffect, openMessagingFixture, testLogger } from './messaging-fixture.ts';

const [dbName, groupId, doomedOrderId] = process.argv.slice(2);
const fixture = await openMessagingFixture.reuse(dbName);
const consumer = createMessageConsumer({
  pool: fixture.pool,
  kafka: fixture.kafka,
  producer: fixture.producer,
  groupId,
  logger: testLogger,
  metrics: fixture.metrics,
  fromBeginning: false,
  commitEveryBatch: true,
  routes: [
    route(topics.paymentRequest, async (message, { tx, envelope }) => {
      if (message.type !== 'ChargePayment') return;
      applyEffect(tx, envelope.orderId!, message.payload.amount);
      if (envelope.orderId === doomedOrderId) tx.afterCommit(() => void process.kill(process.pid, 'SIGKILL'));
    }),
  ],
});
await consumer.start();
process.stdout.write('ready\n');
