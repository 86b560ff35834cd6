import { createHash } from 'node:crypto';
import type { Em, Orm } from '#shared/db/orm.ts';
import { isRetryable } from '#shared/db/retryable-errors.ts';
import { ProblemError } from '#shared/http/problem.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import type { SagaSettingsInput } from '#statecharts/saga-types.ts';
import type { CatalogPrices } from '../catalog/catalog-prices.ts';
import type { SagaSteps, StepResult } from '../saga/saga-step.ts';
import { CustomerOrder, type CustomerOrderRow, type DeliveryAddress, type OrderLine } from './order.entity.ts';

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
  | { ok: true; order: CustomerOrderRow; replayed: boolean }
  | { ok: false; reason: 'rejected'; problems: FieldProblem[] }
  | { ok: false; reason: 'idempotency-conflict' };

/**
 * Accepts an order only if it is right by the service's own catalog copy (known, active products;
 * unit prices equal to the catalog's; total equal to Σ quantity × price) and then starts its saga
 * in the same transaction. With an Idempotency-Key, the same key and body give the same order back.
 */
export function createPlaceOrder(deps: {
  orm: Orm;
  ids: Ids;
  steps: SagaSteps;
  sagaSettings: SagaSettingsInput;
  catalog: CatalogPrices;
  afterCommit(result: StepResult): Promise<void>;
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

  async function findByKey(em: Em, key: string, requestHash: string): Promise<PlaceOrderResult | null> {
    const existing = await em.findOne(CustomerOrder, { idempotencyKey: key });
    if (!existing) return null;
    if (existing.requestHash !== requestHash) return { ok: false, reason: 'idempotency-conflict' };
    return { ok: true, order: existing, replayed: true };
  }

  return async function placeOrder(request: PlaceOrderRequest, idempotencyKey: string | null): Promise<PlaceOrderResult> {
    const requestHash = idempotencyKey ? hashOf(request) : null;
    const em = deps.orm.em.fork();
    if (idempotencyKey) {
      const earlier = await findByKey(em, idempotencyKey, requestHash!);
      if (earlier) return earlier;
    }
    const problems = await checkAgainstCatalog(request);
    if (problems.length > 0) return { ok: false, reason: 'rejected', problems };
    const orderId = deps.ids.next();
    let result: StepResult;
    try {
      result = await em.transactional((tx) =>
        deps.steps.start(tx, {
          orderId,
          input: { orderId, customerId: request.customerId, items: request.items, price: request.price, settings: deps.sagaSettings },
          address: request.address,
          idempotencyKey,
          requestHash,
        }),
      );
    } catch (error) {
      // Two requests with one key raced; the loser answers like a replay of the winner.
      const replay = idempotencyKey && isDuplicateKey(error) ? await findByKey(deps.orm.em.fork(), idempotencyKey, requestHash!) : null;
      if (replay) return replay;
      if (!isRetryable(error)) throw error;
      // The connection can die during COMMIT after the server committed: the order may exist. Its
      // outbox row and deadline are committed with it, so the relay and timer sweeps take over the
      // after-commit work this request could not do.
      const placed = await deps.orm.em.fork().findOne(CustomerOrder, { id: orderId }).catch(() => null);
      if (placed) return { ok: true, order: placed, replayed: false };
      throw new ProblemError(503, 'Service Unavailable', 'the order database is unavailable; nothing was stored, retry (an Idempotency-Key makes that safe)', {
        retryAfterSeconds: 1,
      });
    }
    await deps.afterCommit(result);
    return { ok: true, order: result.order, replayed: false };
  };
}

function hashOf(request: PlaceOrderRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

function isDuplicateKey(error: unknown): boolean {
  const candidate = error as { code?: string; cause?: { code?: string }; name?: string };
  return (
    candidate?.name === 'UniqueConstraintViolationException' ||
    candidate?.code === 'ER_DUP_ENTRY' ||
    candidate?.cause?.code === 'ER_DUP_ENTRY'
  );
}
