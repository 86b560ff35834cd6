import { settleLostCommit } from '#shared/db/lost-commit.ts';
import { CommitOutcomeUnknownError, isDuplicateKey } from '#shared/db/retryable-errors.ts';
import type { SqlPool } from '#shared/db/sql-pool.ts';
import { idempotencyKeyStillAnswers, requestHash as hashOf } from '#shared/http/idempotency-key.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import type { SagaSettingsInput } from '#statecharts/saga-types.ts';
import type { CatalogPrices } from '../catalog/catalog-prices.ts';
import { findByIdempotencyKey, readSagaRow, releaseIdempotencyKey, type SagaRow } from '../saga/saga-rows.ts';
import type { SagaRunner } from '../saga/saga-runner.ts';
import type { DeliveryAddress, OrderLine } from '../saga/order.entity.ts';

export interface PlaceOrderRequest {
  customerId: string;
  price: number;
  items: OrderLine[];
  address: DeliveryAddress;
}

export interface FieldProblem {
  field: string;
  message: string;
}

export type PlaceOrderResult =
  | { ok: true; order: SagaRow; replayed: boolean }
  | { ok: false; reason: 'rejected'; problems: FieldProblem[] }
  | { ok: false; reason: 'idempotency-conflict' }
  /** The connection was lost during COMMIT and the order could not be looked up since: it may still appear. */
  | { ok: false; reason: 'outcome-unknown'; orderId: string }
  /** The connection was lost during COMMIT, and looking the order up afterwards found that it was not stored. */
  | { ok: false; reason: 'not-stored' };

/**
 * Accepts an order only if it is right by the service's own catalog copy (known, active products;
 * unit prices equal to the catalog's; total equal to Σ quantity × price) and then starts its saga
 * in the same transaction — one round trip to the database (two with an Idempotency-Key). With an
 * Idempotency-Key, the same customer, key and body give the same order back for 24 hours; the key is
 * the customer's own, so another customer's use of the same string is no conflict and reveals nothing.
 */
export function createPlaceOrder(deps: {
  pool: SqlPool;
  ids: Ids;
  clock: Clock;
  runner: Pick<SagaRunner, 'place'>;
  sagaSettings: SagaSettingsInput;
  catalog: CatalogPrices;
}) {
  async function checkAgainstCatalog(request: PlaceOrderRequest): Promise<FieldProblem[]> {
    const catalog = await deps.catalog.lookup(request.items.map((item) => item.productId));
    const problems: FieldProblem[] = [];
    request.items.forEach((item, index) => {
      const product = catalog.get(item.productId);
      if (!product || !product.active) {
        problems.push({ field: `items.${index}.productId`, message: `unknown product ${item.productId}` });
      } else if (product.price !== item.price) {
        problems.push({
          field: `items.${index}.price`,
          message: `unit price ${item.price} differs from the catalog price ${product.price}`,
        });
      }
    });
    const total = request.items.reduce((sum, item) => sum + item.quantity * item.price, 0);
    if (total !== request.price) {
      problems.push({ field: 'price', message: `total ${request.price} differs from the sum of the items ${total}` });
    }
    return problems;
  }

  const replayOf = (existing: SagaRow, requestHash: string): PlaceOrderResult =>
    existing.requestHash === requestHash ? { ok: true, order: existing, replayed: true } : { ok: false, reason: 'idempotency-conflict' };

  async function place(request: PlaceOrderRequest, idempotencyKey: string | null, orderId: string): Promise<PlaceOrderResult> {
    const requestHash = idempotencyKey ? hashOf(request) : null;
    const outcome = await deps.runner.place(
      {
        orderId,
        input: { orderId, customerId: request.customerId, items: request.items, price: request.price, settings: deps.sagaSettings },
        address: request.address,
        idempotencyKey,
        requestHash,
      },
      async (tx) => {
        if (!idempotencyKey) return null;
        const earlier = await findByIdempotencyKey(tx, request.customerId, idempotencyKey);
        if (!earlier) return null;
        if (idempotencyKeyStillAnswers(earlier.createdAt, deps.clock.now())) return replayOf(earlier, requestHash!);
        releaseIdempotencyKey(tx, earlier.id); // expired: the key starts over with this order
        return null;
      },
    );
    if ('found' in outcome) return outcome.found;
    return { ok: true, order: outcome.placed.order, replayed: false };
  }

  return async function placeOrder(request: PlaceOrderRequest, idempotencyKey: string | null): Promise<PlaceOrderResult> {
    const problems = await checkAgainstCatalog(request);
    if (problems.length > 0) return { ok: false, reason: 'rejected', problems };
    const orderId = deps.ids.next();
    try {
      return await place(request, idempotencyKey, orderId);
    } catch (error) {
      // Two requests with one key raced: the loser answers like a replay of the winner.
      if (idempotencyKey && isDuplicateKey(error)) return place(request, idempotencyKey, deps.ids.next());
      if (!(error instanceof CommitOutcomeUnknownError)) throw error;
      // The connection died during COMMIT: the server finished the commit or it did not. Its
      // outbox row and deadline are in the same commit, so if the order is there, the relay and
      // the timer sweep do the after-commit work this request could not do.
      const settled = await settleLostCommit(() => readSagaRow((sql, params) => deps.pool.query(sql, params), orderId));
      if (settled.kind === 'committed') return { ok: true, order: settled.value, replayed: false };
      return settled.kind === 'not-committed' ? { ok: false, reason: 'not-stored' } : { ok: false, reason: 'outcome-unknown', orderId };
    }
  };
}
