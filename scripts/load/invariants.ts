import type { CreditView, PlatformApi, ProductView } from './platform-api.ts';
import { inParallel } from './platform-api.ts';
import type { PlacedOrder } from './run-load.ts';

export interface Ledger {
  products: Map<string, ProductView>;
  credits: Map<string, CreditView>;
}

export interface InvariantResult {
  name: string;
  pass: boolean;
  detail: string;
}

export async function readLedger(api: PlatformApi, productIds: string[], customerIds: string[]): Promise<Ledger> {
  const products = new Map<string, ProductView>();
  const credits = new Map<string, CreditView>();
  await Promise.all([
    ...productIds.map(async (id) => products.set(id, await api.product(id))),
    ...customerIds.map(async (id) => credits.set(id, await api.credit(id))),
  ]);
  return { products, credits };
}

/**
 * What must hold once every saga is terminal, read from the services' own APIs: stock and money
 * moved exactly for the CONFIRMED orders, nothing held back, ledgers consistent, and no cancelled
 * order left charged.
 */
export async function checkInvariants(api: PlatformApi, orders: PlacedOrder[], before: Ledger, after: Ledger): Promise<InvariantResult[]> {
  const accepted = orders.filter((o) => o.id);
  const confirmed = accepted.filter((o) => o.status === 'CONFIRMED');
  const results: InvariantResult[] = [];
  const notTerminal = accepted.filter((o) => o.terminalAt === null);
  results.push({
    name: 'every order terminal before the deadline',
    pass: notTerminal.length === 0,
    detail:
      notTerminal.length === 0
        ? `${accepted.length} of ${accepted.length}`
        : `${notTerminal.length} still ${[...new Set(notTerminal.map((o) => o.status))].join('/')}: ${notTerminal
            .slice(0, 3)
            .map((o) => o.id)
            .join(', ')}`,
  });
  const rejectedPosts = orders.filter((o) => o.error);
  results.push({
    name: 'every POST accepted (201)',
    pass: rejectedPosts.length === 0,
    detail: rejectedPosts.length === 0 ? `${orders.length} accepted` : `${rejectedPosts.length} failed, e.g. ${rejectedPosts[0].error}`,
  });
  const surprises = accepted.filter((o) => o.terminalAt !== null && o.status !== o.shape.expect);
  results.push({
    name: 'each order ends as its shape predicts',
    pass: surprises.length === 0,
    detail:
      surprises.length === 0
        ? 'all as expected'
        : `${surprises.length} differ, e.g. ${surprises[0].shape.name} → ${surprises[0].status} ${surprises[0].failureMessages.join('; ')}`,
  });

  for (const [productId, was] of before.products) {
    const now = after.products.get(productId)!;
    const sold = confirmed.reduce((sum, o) => sum + o.shape.lines.filter((l) => l.productId === productId).reduce((s, l) => s + l.quantity, 0), 0);
    results.push({
      name: `stock ${productId.slice(0, 8)}: on hand fell by the confirmed units, nothing left reserved`,
      pass: was.onHand - now.onHand === sold && now.reserved === was.reserved && now.onHand >= 0,
      detail: `on hand ${was.onHand} → ${now.onHand} (confirmed units ${sold}), reserved ${was.reserved} → ${now.reserved}`,
    });
  }
  for (const [customerId, was] of before.credits) {
    const now = after.credits.get(customerId)!;
    const spent = confirmed.filter((o) => o.shape.customerId === customerId).reduce((sum, o) => sum + orderTotal(o), 0);
    results.push({
      name: `credit ${customerId.slice(0, 8)}: balance fell by the confirmed amounts, ledger consistent`,
      pass: was.balance - now.balance === spent && now.ledgerConsistent && now.balance >= 0,
      detail: `balance ${was.balance} → ${now.balance} (confirmed ${spent}), ledger ${now.ledgerConsistent ? 'consistent' : 'INCONSISTENT'}`,
    });
  }

  const chargedButCancelled: string[] = [];
  const confirmedUnpaid: string[] = [];
  await inParallel(
    accepted.filter((o) => o.terminalAt !== null),
    16,
    async (order) => {
      const payment = await api.payment(order.id!);
      if (order.status === 'CANCELLED' && payment?.status === 'COMPLETED') chargedButCancelled.push(order.id!);
      if (order.status === 'CONFIRMED' && payment?.status !== 'COMPLETED') confirmedUnpaid.push(order.id!);
    },
  );
  results.push({
    name: 'no cancelled order left charged without a refund',
    pass: chargedButCancelled.length === 0,
    detail: chargedButCancelled.length === 0 ? 'none' : chargedButCancelled.slice(0, 5).join(', '),
  });
  results.push({
    name: 'every confirmed order paid exactly once',
    pass: confirmedUnpaid.length === 0,
    detail: confirmedUnpaid.length === 0 ? `${confirmed.length} paid` : confirmedUnpaid.slice(0, 5).join(', '),
  });
  return results;
}

export const orderTotal = (order: PlacedOrder) => order.shape.lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
