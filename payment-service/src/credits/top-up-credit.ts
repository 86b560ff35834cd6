import { settleLostCommit } from '#shared/db/lost-commit.ts';
import { CommitOutcomeUnknownError } from '#shared/db/retryable-errors.ts';
import type { SqlPool } from '#shared/db/sql-pool.ts';
import { inTransaction, rowsOf, type SqlTransaction } from '#shared/db/sql-transaction.ts';
import { utcDate } from '#shared/db/sql-values.ts';
import { idempotencyKeyStillAnswers, requestHash } from '#shared/http/idempotency-key.ts';
import type { Clock } from '#shared/runtime/clock.ts';
import type { Ids } from '#shared/runtime/ids.ts';
import { creditBookOf, loadCredits, saveCreditBook } from './credit-book.ts';
import type { CreditHistoryRow } from './credit-history.entity.ts';
import { maxBalance } from './customer-credit.entity.ts';

/** The most one top-up may add (KRW). */
export const maxTopUp = 100_000_000;

export interface TopUpRequest {
  customerId: string;
  amount: number;
  /** Same key, same body → the first top-up is answered again for 24 hours; nothing is added twice. */
  idempotencyKey: string | null;
  /** The operator who asks (their admin token's subject), recorded on the ledger row. */
  actor: string;
}

export type LedgerEntry = Pick<CreditHistoryRow, 'id' | 'customerId' | 'orderId' | 'kind' | 'amount' | 'balanceAfter' | 'actor' | 'createdAt'>;

export type TopUpOutcome =
  | { kind: 'toppedUp'; entry: LedgerEntry; replayed: boolean }
  | { kind: 'unknownCustomer' }
  | { kind: 'balanceLimitExceeded'; balance: number; limit: number }
  | { kind: 'idempotencyKeyReused'; firstAmount: number }
  /** The connection was lost during COMMIT, and looking afterwards found that nothing was credited. */
  | { kind: 'notStored' }
  /** The connection was lost during COMMIT and the database could not be asked since: it may have been credited. */
  | { kind: 'outcomeUnknown' };

interface StoredTopUpRow {
  request_id: string;
  request_hash: string;
  requested_at: string;
  id: number | string;
  customer_id: string;
  order_id: string | null;
  kind: 'TOP_UP';
  amount: number | string;
  balance_after: number | string;
  actor: string | null;
  created_at: string;
}

// Every top-up leaves a top_up_request row in its own commit, named by an id chosen before the
// transaction starts: a retry with the same key finds it, and so does the request itself when the
// connection was lost during COMMIT and it must find out whether it credited.
const storedTopUpSql = (where: string) => `
  select r.id as request_id, r.request_hash, r.created_at as requested_at,
         h.id, h.customer_id, h.order_id, h.kind, h.amount, h.balance_after, h.actor, h.created_at
    from top_up_request r join credit_history h on h.id = r.ledger_entry_id
   where ${where}`;

function storedTopUpOf(rows: unknown): { requestId: string; requestHash: string; requestedAt: Date; entry: LedgerEntry } | null {
  const row = rowsOf<StoredTopUpRow>(rows)[0];
  if (!row) return null;
  return {
    requestId: row.request_id,
    requestHash: row.request_hash,
    requestedAt: utcDate(row.requested_at),
    entry: {
      id: Number(row.id),
      customerId: row.customer_id,
      orderId: row.order_id,
      kind: row.kind,
      amount: Number(row.amount),
      balanceAfter: Number(row.balance_after),
      actor: row.actor,
      createdAt: utcDate(row.created_at),
    },
  };
}

/**
 * Admin top-up: adds credit with a TOP_UP ledger row under the credit row's lock, in one
 * transaction with its top_up_request row. With an Idempotency-Key (the customer's own), the same
 * key and body answer the first top-up again for 24 hours; another body is refused. A connection
 * lost during COMMIT is never answered by crediting again: the request looks for its own row.
 */
export function createTopUpCredit(deps: { pool: SqlPool; clock: Clock; ids: Ids }) {
  async function topUpOnce(request: TopUpRequest, requestId: string, hash: string, tx: SqlTransaction): Promise<TopUpOutcome> {
    const [creditRows, keyRows] = await tx.run([
      ...loadCredits([request.customerId]),
      // After the lock: a retry racing its original waits for it, then finds its row.
      ...(request.idempotencyKey
        ? [{ sql: storedTopUpSql('r.customer_id = ? and r.idempotency_key = ?'), params: [request.customerId, request.idempotencyKey] }]
        : []),
    ]);
    const book = creditBookOf(creditRows);
    const credit = book.accounts.get(request.customerId);
    if (!credit) return { kind: 'unknownCustomer' };
    const now = deps.clock.now();
    const first = keyRows === undefined ? null : storedTopUpOf(keyRows);
    if (first && idempotencyKeyStillAnswers(first.requestedAt, now)) {
      return first.requestHash === hash
        ? { kind: 'toppedUp', entry: first.entry, replayed: true }
        : { kind: 'idempotencyKeyReused', firstAmount: first.entry.amount };
    }
    if (!credit.canReceive(request.amount)) return { kind: 'balanceLimitExceeded', balance: credit.balance, limit: maxBalance };
    if (first) {
      // Expired: the key starts over with this top-up (the first one's ledger row stays).
      tx.beforeCommit(() => ({ statements: [{ sql: 'update top_up_request set idempotency_key = null where id = ?', params: [first.requestId] }] }));
    }
    const draft = { ...credit.topUp(request.amount, request.idempotencyKey, now), actor: request.actor };
    book.ledger.push(draft);
    saveCreditBook(book, tx);
    const entry: LedgerEntry = {
      id: 0,
      customerId: draft.customerId,
      orderId: null,
      kind: 'TOP_UP',
      amount: draft.amount,
      balanceAfter: draft.balanceAfter,
      actor: draft.actor,
      createdAt: now,
    };
    tx.beforeCommit(() => ({
      statements: [
        // Right after the ledger row's insert: its auto-increment id.
        { sql: 'select last_insert_id() as id' },
        {
          sql: 'insert into top_up_request (id, customer_id, idempotency_key, request_hash, ledger_entry_id, created_at) values (?, ?, ?, ?, last_insert_id(), ?)',
          params: [requestId, request.customerId, request.idempotencyKey, hash, now],
        },
      ],
      onResults: ([ids]) => (entry.id = Number(rowsOf<{ id: number | string }>(ids)[0].id)),
    }));
    return { kind: 'toppedUp', entry, replayed: false };
  }

  return async function topUpCredit(request: TopUpRequest): Promise<TopUpOutcome> {
    const requestId = deps.ids.next();
    const hash = requestHash({ amount: request.amount });
    try {
      return await inTransaction(deps.pool, (tx) => topUpOnce(request, requestId, hash, tx));
    } catch (error) {
      if (!(error instanceof CommitOutcomeUnknownError)) throw error;
      const settled = await settleLostCommit(async () => storedTopUpOf(await deps.pool.query(storedTopUpSql('r.id = ?'), [requestId])));
      if (settled.kind === 'committed') return { kind: 'toppedUp', entry: settled.value.entry, replayed: false };
      return settled.kind === 'not-committed' ? { kind: 'notStored' } : { kind: 'outcomeUnknown' };
    }
  };
}
