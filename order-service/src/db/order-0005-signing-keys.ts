import { Migration } from '@mikro-orm/migrations';

/**
 * The order service's token signing keys (ES256). One key signs at a time: `active_slot` is 1
 * for it and null for the others, and unique, so two replicas starting together cannot both
 * create a signer. A retired key keeps verifying until `expires_at` (the longest token lifetime
 * after its retirement); the JWKS lists the keys not yet expired.
 */
export class CreateSigningKeys extends Migration {
  override up(): void {
    this.addSql(`
      create table if not exists signing_key (
        kid varchar(64) not null primary key,
        algorithm varchar(10) not null,
        private_jwk text not null,
        public_jwk text not null,
        active_slot tinyint null,
        created_at datetime(3) not null,
        retired_at datetime(3) null,
        expires_at datetime(3) null,
        unique key signing_key_active_unique (active_slot),
        key signing_key_expires_idx (expires_at)
      ) default character set utf8mb4 engine = InnoDB`);
  }
}
