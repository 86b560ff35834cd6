import { Migration } from '@mikro-orm/migrations';

/** The order's trace context (W3C traceparent of its placement), for timer firings to join its trace. */
export class OrderTraceParent extends Migration {
  override up(): void {
    this.addSql('alter table customer_order add column trace_parent varchar(55) null');
  }
}
