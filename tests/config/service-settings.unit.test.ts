import { describe, expect, it } from 'vitest';
import { settingsProblems } from '#shared/config/service-settings.ts';
import { sagaSettingsFromEnv } from '../../order-service/src/saga/saga-settings-from-env.ts';
import { orderSettings } from '../../order-service/src/order-settings.ts';
import { paymentSettings } from '../../payment-service/src/payment-settings.ts';
import { productSettings } from '../../product-service/src/product-settings.ts';

describe("each service's settings, checked at start", () => {
  it('take an empty environment (every setting has a default or is optional)', () => {
    for (const settings of [orderSettings, productSettings, paymentSettings]) expect(settingsProblems(settings, {}), settings.service).toBeNull();
  });

  it('name every bad variable and what it was given, on one line', () => {
    const problem = settingsProblems(productSettings, { DB_PORT: 'abc', LOG_LEVEL: 'loud', AUTH_JWKS_URL: 'not a url' })!;
    expect(problem).not.toContain('\n');
    expect(problem).toMatch(/^DB_PORT="abc": .*; LOG_LEVEL="loud": .*; AUTH_JWKS_URL="not a url": /);
  });

  it('never repeat a secret back', () => {
    expect(settingsProblems(orderSettings, { ADMIN_PASSWORD: '' })).toBe(
      'ADMIN_PASSWORD=(hidden): Too small: expected string to have >=1 characters',
    );
  });

  it('refuse a variable under a prefix the service owns that no schema knows, with the nearest name', () => {
    expect(settingsProblems(orderSettings, { SAGA_PAYMNET_TIMEOUT_MS: '5000' })).toBe(
      'SAGA_PAYMNET_TIMEOUT_MS: not a setting of this service (did you mean SAGA_PAYMENT_TIMEOUT_MS?)',
    );
    expect(settingsProblems(productSettings, { KAFKA_BROKER: 'x:1' })).toBe(
      'KAFKA_BROKER: not a setting of this service (did you mean KAFKA_BROKERS?)',
    );
  });

  it("let the platform's other variables through: another service's, the scripts', other programs'", () => {
    const shell = {
      SAGA_TIMEOUT_MS: '3000', // the order service's, exported to all three by a script
      ADMIN_PASSWORD: 'x',
      ORDER_PORT: '8181',
      LB_ORDER_PORT: '8080',
      KAFKA_DATA_DIR: '/tmp/kafka',
      KAFKA_ORDER_SERVICE_PASSWORD: 'x',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=b',
      PATH: '/usr/bin',
    };
    for (const settings of [productSettings, paymentSettings]) expect(settingsProblems(settings, shell), settings.service).toBeNull();
    expect(settingsProblems(orderSettings, shell)).toBeNull();
  });

  it("accept exactly the saga values the saga's own reader accepts", () => {
    for (const value of ['1', '5000', '', ' 42 ', '1e3', '0x10', '0', '  ', '-1', '1.5', 'abc']) {
      const env = { SAGA_PAYMENT_TIMEOUT_MS: value };
      let readerAccepts = true;
      try {
        sagaSettingsFromEnv(env);
      } catch {
        readerAccepts = false;
      }
      expect(settingsProblems(orderSettings, env) === null, `SAGA_PAYMENT_TIMEOUT_MS=${JSON.stringify(value)}`).toBe(readerAccepts);
    }
  });

  it('take the outbox and inbox retentions in milliseconds (a minute at least), and refuse two inbox retentions at once', () => {
    for (const settings of [orderSettings, productSettings, paymentSettings]) {
      expect(settingsProblems(settings, { OUTBOX_RETENTION_MS: '60000', INBOX_RETENTION_MS: '120000' }), settings.service).toBeNull();
      expect(settingsProblems(settings, { INBOX_RETENTION_DAYS: '3' }), settings.service).toBeNull();
    }
    expect(settingsProblems(productSettings, { OUTBOX_RETENTION_MS: '1000' })).toBe(
      'OUTBOX_RETENTION_MS="1000": Too small: expected number to be >=60000',
    );
    expect(settingsProblems(productSettings, { INBOX_RETENTION_MS: '2m' })).toMatch(/^INBOX_RETENTION_MS="2m": Invalid input: expected number/);
    expect(settingsProblems(paymentSettings, { INBOX_RETENTION_DAYS: '7', INBOX_RETENTION_MS: '120000' })).toBe(
      'INBOX_RETENTION_DAYS and INBOX_RETENTION_MS: set one of them, not both',
    );
    expect(settingsProblems(orderSettings, { OUTBOX_RETENTON_MS: '60000' })).toBe(
      'OUTBOX_RETENTON_MS: not a setting of this service (did you mean OUTBOX_RETENTION_MS?)',
    );
  });
});
