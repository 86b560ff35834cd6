import { Migration } from '@mikro-orm/migrations';

/**
 * Machine v3 keeps a timer on a late refund or release sent from CANCELLED (v2 sent it once). A v2
 * order that owes one gets that timer now, due at once: the sweep re-sends the command, which the
 * participant answers idempotently (already refunded / released), and the retries back off from there.
 */
export const owedCompensationTimerStatements: readonly string[] = (
  [
    ['refund', 'paymentMayBeTaken'],
    ['release', 'stockMayBeReserved'],
  ] as const
).map(
  ([timer, owed]) => `update customer_order set
      timers = json_set(timers, '$.${timer}', json_object(
        'attempt', cast(coalesce(json_value(snapshot, '$.context.attempts.${timer}'), 0) as unsigned),
        'deadlineAt', concat(date_format(utc_timestamp(3), '%Y-%m-%dT%H:%i:%s.'), lpad(floor(microsecond(utc_timestamp(3)) / 1000), 3, '0'), 'Z'))),
      next_deadline_at = least(coalesce(next_deadline_at, utc_timestamp(3)), utc_timestamp(3))
    where status = 'CANCELLED'
      and json_value(snapshot, '$.context.${owed}') in ('1', 'true')
      and json_extract(timers, '$.${timer}') is null`,
);

export class OwedCompensationTimers extends Migration {
  override up(): void {
    for (const statement of owedCompensationTimerStatements) this.addSql(statement);
  }
}
