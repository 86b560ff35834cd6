/** A password a service reads, with the values it must not have in production (its documented defaults). */
export interface SecretSetting {
  name: string;
  defaults: readonly string[];
}

/** Every service's database password: empty is the default (root on a laptop's MariaDB). */
export const DATABASE_PASSWORD: SecretSetting = { name: 'DB_PASSWORD', defaults: [''] };

/**
 * What a service refuses to start with when NODE_ENV=production, one sentence each: the laptop
 * conveniences that would be holes on a server. Checked on the raw environment before anything
 * starts (main.ts); an empty list outside production.
 */
export function productionRefusals(env: Record<string, string | undefined>, secrets: readonly SecretSetting[]): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const refusals: string[] = [];
  if (env.AUTH_MODE === 'off') refusals.push('AUTH_MODE=off is refused with NODE_ENV=production: it makes every caller an admin');
  for (const secret of secrets) {
    const value = env[secret.name];
    if (value === undefined) refusals.push(`${secret.name} is not set: set a password of your own (NODE_ENV=production)`);
    else if (value === '') refusals.push(`${secret.name} is empty: set a password of your own (NODE_ENV=production)`);
    else if (secret.defaults.includes(value))
      refusals.push(`${secret.name} is the documented default: set a password of your own (NODE_ENV=production)`);
  }
  const sasl = [env.KAFKA_SASL_MECHANISM, env.KAFKA_SASL_USERNAME, env.KAFKA_SASL_PASSWORD];
  if (sasl.some((value) => !value)) {
    refusals.push(
      'Kafka without credentials is refused with NODE_ENV=production: set KAFKA_SASL_MECHANISM (scram-sha-512), KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
  } else if (env.KAFKA_SASL_MECHANISM === 'plain' && env.KAFKA_SSL !== 'true') {
    refusals.push(
      'KAFKA_SASL_MECHANISM=plain without KAFKA_SSL=true sends the Kafka password in clear text: use scram-sha-512, or TLS (NODE_ENV=production)',
    );
  }
  return refusals;
}
