import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { productionProblems } from '#shared/config/service-settings.ts';
import { orderSettings } from '../../order-service/src/order-settings.ts';
import { paymentSettings } from '../../payment-service/src/payment-settings.ts';
import { productSettings } from '../../product-service/src/product-settings.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What a production deployment sets: its own passwords, Kafka with SCRAM credentials. */
const production = {
  NODE_ENV: 'production',
  DB_PASSWORD: 'a database password of its own',
  ADMIN_PASSWORD: 'an admin password of its own',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'order-service',
  KAFKA_SASL_PASSWORD: 'a kafka password of its own',
};

/** Starts a service's main.ts in a clean environment (nothing inherited but PATH) and returns how it ended. */
function start(service: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [`${root}${service}/src/main.ts`], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/bin', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, lines: result.stderr.trim().split('\n') };
}

describe('NODE_ENV=production: the laptop conveniences are refused before anything starts', () => {
  it('a production environment with its own passwords and Kafka credentials is accepted', () => {
    for (const settings of [orderSettings, productSettings, paymentSettings])
      expect(productionProblems(settings, production), settings.service).toEqual([]);
  });

  it('outside production the same holes are allowed (a laptop with the defaults)', () => {
    for (const env of [{}, { NODE_ENV: 'development', AUTH_MODE: 'off' }, { NODE_ENV: 'test' }])
      expect(productionProblems(orderSettings, env)).toEqual([]);
  });

  it.each([
    ['AUTH_MODE=off', { AUTH_MODE: 'off' }, 'AUTH_MODE=off is refused with NODE_ENV=production: it makes every caller an admin'],
    [
      'the default admin password',
      { ADMIN_PASSWORD: 'admin-password' },
      'ADMIN_PASSWORD is the documented default: set a password of your own (NODE_ENV=production)',
    ],
    ['an empty admin password', { ADMIN_PASSWORD: '' }, 'ADMIN_PASSWORD is empty: set a password of your own (NODE_ENV=production)'],
    ['an empty database password', { DB_PASSWORD: '' }, 'DB_PASSWORD is empty: set a password of your own (NODE_ENV=production)'],
    [
      'Kafka without credentials',
      { KAFKA_SASL_MECHANISM: '', KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '' },
      'Kafka without credentials is refused with NODE_ENV=production: set KAFKA_SASL_MECHANISM (scram-sha-512), KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    ],
    ['a Kafka user without a password', { KAFKA_SASL_PASSWORD: '' }, expect.stringMatching(/^Kafka without credentials is refused/)],
    [
      'SASL PLAIN without TLS',
      { KAFKA_SASL_MECHANISM: 'plain' },
      'KAFKA_SASL_MECHANISM=plain without KAFKA_SSL=true sends the Kafka password in clear text: use scram-sha-512, or TLS (NODE_ENV=production)',
    ],
  ])('refuses %s, in one sentence', (_, change, refusal) => {
    expect(productionProblems(orderSettings, { ...production, ...change })).toEqual([refusal]);
  });

  it('the order service refuses to start with each hole on a line of its own, exit 1, before it opens a connection', () => {
    const { status, lines } = start('order-service', { NODE_ENV: 'production', AUTH_MODE: 'off', DB_HOST: '192.0.2.1' });
    expect(status).toBe(1);
    expect(lines).toEqual([
      'order-service: refused: AUTH_MODE=off is refused with NODE_ENV=production: it makes every caller an admin',
      'order-service: refused: DB_PASSWORD is not set: set a password of your own (NODE_ENV=production)',
      'order-service: refused: ADMIN_PASSWORD is not set: set a password of your own (NODE_ENV=production)',
      'order-service: refused: Kafka without credentials is refused with NODE_ENV=production: set KAFKA_SASL_MECHANISM (scram-sha-512), KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    ]);
  });

  it('so do product and payment (their passwords and Kafka credentials)', () => {
    for (const service of ['product-service', 'payment-service']) {
      const { status, lines } = start(service, { ...production, DB_PASSWORD: '', KAFKA_SASL_PASSWORD: '', DB_HOST: '192.0.2.1' });
      expect(status, service).toBe(1);
      expect(lines).toEqual([
        `${service}: refused: DB_PASSWORD is empty: set a password of your own (NODE_ENV=production)`,
        `${service}: refused: Kafka without credentials is refused with NODE_ENV=production: set KAFKA_SASL_MECHANISM (scram-sha-512), KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
      ]);
    }
  });
});
