import type { RouteHandler } from '@hono/zod-openapi';
import { principalOf } from '#shared/http/auth/principal.ts';
import { conflict, notFound, ProblemError, unprocessable } from '#shared/http/problem.ts';
import { retryTransient } from '../http/transient.ts';
import type { CreditQueries, CreditView } from './credit-queries.ts';
import type * as routes from './credits.routes.ts';
import type { createTopUpCredit, LedgerEntry } from './top-up-credit.ts';

export interface CreditHandlerDeps {
  queries: CreditQueries;
  topUpCredit: ReturnType<typeof createTopUpCredit>;
}

const creditView = ({ consistent, updatedAt, ...credit }: CreditView) => ({
  ...credit,
  ledgerConsistent: consistent,
  updatedAt: updatedAt.toISOString(),
});

const ledgerEntryView = (entry: LedgerEntry) => ({
  id: entry.id,
  customerId: entry.customerId,
  orderId: entry.orderId ?? null,
  kind: entry.kind,
  amount: entry.amount,
  balanceAfter: entry.balanceAfter,
  actor: entry.actor ?? null,
  createdAt: entry.createdAt.toISOString(),
});

export function createCreditHandlers(deps: CreditHandlerDeps) {
  const ledgerAudit: RouteHandler<typeof routes.ledgerAudit> = async (c) => {
    const audit = await deps.queries.checkAllLedgers();
    return c.json({ ...audit, inconsistent: audit.inconsistent.map(creditView) }, 200);
  };

  const getCredit: RouteHandler<typeof routes.getCredit> = async (c) => {
    const credit = await deps.queries.creditOf(c.req.valid('param').customerId);
    if (!credit) throw notFound('credit account');
    return c.json(creditView(credit), 200);
  };

  const getCreditHistory: RouteHandler<typeof routes.getCreditHistory> = async (c) => {
    const { page, size } = c.req.valid('query');
    const history = await deps.queries.historyOf(c.req.valid('param').customerId, page, size);
    if (!history) throw notFound('credit account');
    return c.json({ ...history, items: history.items.map(ledgerEntryView) }, 200);
  };

  const topUpCredit: RouteHandler<typeof routes.topUpCredit> = async (c) => {
    const idempotencyKey = c.req.valid('header')['idempotency-key'] ?? null;
    // A deadlock or a connection lost before COMMIT rolled everything back: running again is safe.
    // A connection lost during COMMIT never comes back here (the top-up finds out what happened).
    const outcome = await retryTransient(() =>
      deps.topUpCredit({
        customerId: c.req.valid('param').customerId,
        amount: c.req.valid('json').amount,
        idempotencyKey,
        actor: principalOf(c).subject,
      }),
    );
    switch (outcome.kind) {
      case 'notStored':
        throw new ProblemError(503, 'Service Unavailable', 'the database connection was lost during the commit; nothing was credited, retry', {
          retryAfterSeconds: 1,
        });
      case 'outcomeUnknown':
        throw new ProblemError(
          503,
          'Service Unavailable',
          idempotencyKey
            ? 'the database connection was lost during the commit and the outcome is not known yet: retry with the same Idempotency-Key (it answers the top-up if it was made, and never credits twice)'
            : 'the database connection was lost during the commit and the outcome is not known yet: look at the ledger before retrying, and send an Idempotency-Key to make retries safe',
          { retryAfterSeconds: 1 },
        );
      case 'unknownCustomer':
        throw notFound('credit account');
      case 'idempotencyKeyReused':
        throw conflict(`this Idempotency-Key was used for a top-up of ${outcome.firstAmount} KRW`);
      case 'balanceLimitExceeded':
        throw unprocessable(`the balance may not exceed ${outcome.limit} KRW (now ${outcome.balance} KRW)`, [
          { field: 'amount', message: 'too large for this account' },
        ]);
      case 'toppedUp':
        if (outcome.replayed) c.header('idempotent-replayed', 'true');
        return c.json({ entry: ledgerEntryView(outcome.entry), balance: outcome.entry.balanceAfter, replayed: outcome.replayed }, 201);
    }
  };

  return { ledgerAudit, getCredit, getCreditHistory, topUpCredit };
}
