import { Migration } from '@mikro-orm/migrations';

/** Who asked for an operator's event (the operator's name from their admin token); null for every other source. */
export class SagaEventActor extends Migration {
  override up(): void {
    this.addSql('alter table saga_event add column actor varchar(64) null');
  }
}
