import { Migration } from '@mikro-orm/migrations';

/** The reconciler reads the orders that finished within a window: by `terminal_at`. */
export class IndexOrdersByFinish extends Migration {
  override up(): void {
    this.addSql('create index customer_order_terminal_idx on customer_order (terminal_at, id)');
  }
}
