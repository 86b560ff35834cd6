import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { productionProblems } from '#shared/config/service-settings.ts';
import { orderSettings } from '../../order-service/src/order-settings.ts';
import { paymentSettings } from '../../payment-service/src/payment-settings.ts';
import { productSettings } from '../../product-service/src/product-settings.ts';

// No Docker engine here: what a locked-down compose file must say is read from the file itself.
const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface ComposeService {
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  entrypoint?: string[];
}
const text = read('infra/compose.yaml');
const services = (parse(text, { merge: true }) as { services: Record<string, ComposeService> }).services;
const apps = { 'order-service': orderSettings, 'product-service': productSettings, 'payment-service': paymentSettings } as const;

/** A variable the way compose will see it: every ${NAME:?…} comes from infra/.env (here: a stand-in secret). */
const resolved = (environment: Record<string, string>) =>
  Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value).replace(/\$\{(\w+):\?[^}]*\}/g, 'secret-of-$1')]));

describe('infra/compose.yaml is locked down', () => {
  it("publishes only HAProxy's entry points to the network; every operator tool listens on the host's loopback", () => {
    const published = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((port) => [name, port] as const));
    const open = published.filter(([, port]) => !port.startsWith('127.0.0.1:'));
    expect(open).toEqual([
      ['haproxy', '8080:8080'],
      ['haproxy', '8090:8090'],
      ['haproxy', '8100:8100'],
    ]);
    for (const name of ['mysql', 'redis', 'kafka', 'order-service', 'product-service', 'payment-service'])
      expect(services[name]!.ports, name).toBeUndefined();
    // Nobody outside can write traces: Jaeger's OTLP receiver is not published at all.
    expect(published.filter(([, port]) => port.includes('4318'))).toEqual([]);
  });

  it('takes every password from infra/.env and stops when one is missing — no default password anywhere', () => {
    expect(text).not.toMatch(/:-(admin-password|customer-password|commerce|admin)\b/);
    expect(text).not.toMatch(/DEMO_CUSTOMER_PASSWORD/);
    const secrets = [...text.matchAll(/\$\{(\w+)(:?[-?])?/g)].map((match) => [match[1], match[2]] as const);
    for (const [name, operator] of secrets.filter(([name]) => /PASSWORD/.test(name!))) expect(operator, name).toBe(':?');
    const generated = read('infra/compose-secrets.sh');
    for (const [name] of secrets.filter(([name]) => /PASSWORD/.test(name!))) expect(generated, `${name} generated`).toContain(name);
    expect(read('.gitignore').split('\n')).toContain('.env');
  });

  it('runs every service in production mode with its own database user and Kafka principal, which the production guard accepts', () => {
    const users = new Set<string>();
    for (const [name, settings] of Object.entries(apps)) {
      const environment = resolved(services[name]!.environment!);
      expect(environment.NODE_ENV, name).toBe('production');
      expect(environment.AUTH_MODE ?? 'on', name).toBe('on');
      expect(environment.DB_USER, name).toBe(name.replace('-service', '_service'));
      expect(environment.KAFKA_SASL_USERNAME, name).toBe(name);
      expect(environment.KAFKA_SASL_MECHANISM, name).toBe('scram-sha-512');
      users.add(environment.DB_USER!);
      expect(productionProblems(settings, environment), name).toEqual([]);
    }
    expect(users.size).toBe(3);
    // Each user may use its own database only; root is the one-shot migrate's.
    const grants = read('infra/mysql/users.sh');
    for (const [user, db] of [
      ['order_service', 'order_db'],
      ['product_service', 'product_db'],
      ['payment_service', 'payment_db'],
    ]) {
      expect(grants).toContain(`"${user} ${db} `);
    }
    expect(grants).toContain('GRANT ALL PRIVILEGES ON \\`$db\\`.* TO');
    expect(grants).not.toMatch(/ON \*\.\*/);
    expect(services.mysql!.volumes).toContain('./mysql/users.sh:/docker-entrypoint-initdb.d/02-users.sh:ro');
    expect(services.migrate!.environment!.DB_USER).toBe('root');
  });

  it('runs the broker with SASL/SCRAM and ACLs, as locally (kafka.sh run), and creates the ACLs with the topics', () => {
    expect(services.kafka!.entrypoint).toEqual(['bash', '/opt/commerce/infra/kafka/kafka.sh', 'run']);
    expect(services['kafka-init']!.entrypoint).toEqual(['bash', '/opt/commerce/infra/kafka/kafka.sh', 'topics']);
    for (const name of ['kafka', 'kafka-init']) {
      for (const principal of ['ADMIN', 'ORDER_SERVICE', 'PRODUCT_SERVICE', 'PAYMENT_SERVICE', 'KAFKA_UI']) {
        expect(services[name]!.environment![`KAFKA_${principal}_PASSWORD`], `${name} ${principal}`).toMatch(/^\$\{KAFKA_\w+_PASSWORD:\?/);
      }
    }
  });

  it('keeps Kafka UI read-only and behind a login, Grafana without anonymous access, HAProxy stats behind a password', () => {
    expect(services['kafka-ui']!.environment).toMatchObject({
      KAFKA_CLUSTERS_0_READONLY: 'true',
      AUTH_TYPE: 'LOGIN_FORM',
      KAFKA_CLUSTERS_0_PROPERTIES_SASL_MECHANISM: 'SCRAM-SHA-512',
    });
    expect(services['kafka-ui']!.environment!.KAFKA_CLUSTERS_0_PROPERTIES_SASL_JAAS_CONFIG).toContain('username="kafka-ui"');
    expect(services.grafana!.environment).toMatchObject({ GF_AUTH_ANONYMOUS_ENABLED: 'false', GF_USERS_ALLOW_SIGN_UP: 'false' });
    expect(services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
    const haproxy = read('infra/haproxy/haproxy.cfg');
    expect(haproxy).toMatch(/frontend stats[\s\S]*stats auth "admin:\$\{HAPROXY_STATS_PASSWORD\}"/);
    expect(haproxy).toContain('option forwardfor');
  });
});
