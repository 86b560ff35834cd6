import type { Statement } from '#shared/db/sql-pool.ts';
import { placeholders, rowsOf, valuesList, type SqlTransaction } from '#shared/db/sql-transaction.ts';
import { utcDate } from '#shared/db/sql-values.ts';
import { Payment, type PaymentStatus } from './payment.entity.ts';

/**
 * The repository of payments for the saga's commands: the batch's orders' payments, read and locked
 * once (an order has at most one), decided in memory, and written with the commit — new decisions
 * as one multi-row INSERT (a decision another member inserted meanwhile fails it on the unique order
 * id, and the retried batch then finds that decision), refunds as UPDATEs of rows this batch holds.
 */
export interface PaymentBook {
  byOrder: Map<string, Payment>;
  inserted: Payment[];
  refunded: Payment[];
}

interface PaymentRow {
  id: string;
  order_id: string;
  customer_id: string;
  amount: number | string;
  status: PaymentStatus;
  failure_code: Payment['failureCode'];
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
}

export function loadPayments(orderIds: readonly string[]): Statement[] {
  const ids = [...new Set(orderIds)].sort();
  return [
    {
      sql: `select id, order_id, customer_id, amount, status, failure_code, failure_reason, created_at, updated_at
              from payment where order_id in (${placeholders(ids.length)}) order by order_id for update`,
      params: ids,
    },
  ];
}

export function paymentBookOf(rows: unknown): PaymentBook {
  const byOrder = new Map<string, Payment>();
  for (const row of rowsOf<PaymentRow>(rows)) {
    byOrder.set(
      row.order_id,
      Object.assign(new Payment(), {
        id: row.id,
        orderId: row.order_id,
        customerId: row.customer_id,
        amount: Number(row.amount),
        status: row.status,
        failureCode: row.failure_code,
        failureReason: row.failure_reason,
        createdAt: utcDate(row.created_at),
        updatedAt: utcDate(row.updated_at),
      }),
    );
  }
  return { byOrder, inserted: [], refunded: [] };
}

export function recordDecision(book: PaymentBook, payment: Payment): Payment {
  book.byOrder.set(payment.orderId, payment);
  book.inserted.push(payment);
  return payment;
}

export function savePaymentBook(book: PaymentBook, tx: SqlTransaction): void {
  tx.beforeCommit(() => {
    const statements: Statement[] = [];
    if (book.inserted.length > 0) {
      statements.push({
        sql: `insert into payment (id, order_id, customer_id, amount, status, failure_code, failure_reason, created_at, updated_at)
              values ${valuesList(book.inserted.length, 9)}`,
        params: book.inserted.flatMap((p) => [
          p.id,
          p.orderId,
          p.customerId,
          p.amount,
          p.status,
          p.failureCode ?? null,
          p.failureReason ?? null,
          p.createdAt,
          p.updatedAt,
        ]),
      });
    }
    for (const payment of book.refunded) {
      if (book.inserted.includes(payment)) continue; // inserted with its final state
      statements.push({ sql: 'update payment set status = ?, updated_at = ? where id = ?', params: [payment.status, payment.updatedAt, payment.id] });
    }
    return { statements };
  });
}
