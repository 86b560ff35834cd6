import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine here: what can be checked without one is checked — the file's meaning after
// anchors and merges, against the services' own settings, the HAProxy config and the Dockerfile.
const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface ComposeService {
  image?: string;
  pull_policy?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  restart?: string;
  ports?: string[];
}
const compose = parse(read('infra/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
const apps = { 'order-service': 8181, 'product-service': 8182, 'payment-service': 8183 } as const;

/** Docker's .dockerignore rules, enough for an allowlist: the last matching line wins. */
function inBuildContext(path: string): boolean {
  const rules = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  let included = true;
  for (const rule of rules) {
    const negated = rule.startsWith('!');
    const pattern = (negated ? rule.slice(1) : rule).replace(/\/$/, '');
    const regex = new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*')}(/|$)`,
    );
    if (regex.test(path)) included = negated;
  }
  return included;
}

describe('infra/compose.yaml', () => {
  it('runs MySQL 8, Kafka (KRaft), Redis, Kafka UI on 28080, HAProxy on 8080/8090/8100 (stats on 9000), migrations once, and the services', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['haproxy', 'kafka', 'kafka-init', 'kafka-ui', 'migrate', 'mysql', 'order-service', 'payment-service', 'product-service', 'redis']
        .concat(['jaeger', 'prometheus', 'grafana']) // observability: tests/observability/observability-infra.unit.test.ts
        .sort(),
    );
    expect(services.mysql.image).toMatch(/^mysql:8\./);
    // KRaft, broker and controller in one node: the configuration kafka.sh writes (as locally)
    expect(read('infra/kafka/kafka.sh')).toContain('process.roles=broker,controller');
    expect(services.kafka.environment!.KAFKA_ADVERTISED_HOST).toBe('kafka');
    expect(services['kafka-ui'].ports).toEqual(['127.0.0.1:28080:8080']);
    expect(services.haproxy.ports).toEqual(['8080:8080', '8090:8090', '8100:8100', '127.0.0.1:9000:9000']);
    for (const name of ['mysql', 'redis', 'kafka', ...Object.keys(apps)]) expect(services[name].healthcheck, name).toBeDefined();
  });

  it('starts two replicas of each service on MySQL, reachable from HAProxy, each health-checked on its own port', () => {
    for (const [name, port] of Object.entries(apps)) {
      const service = services[name];
      expect(service.deploy?.replicas, name).toBe(2);
      expect(service.environment, name).toMatchObject({ DB_DRIVER: 'mysql', DB_HOST: 'mysql', HOST: '0.0.0.0', PORT: String(port) });
      // ready, not /health: a broker outage must not mark every replica unhealthy at once
      expect(service.healthcheck!.test.join(' '), name).toContain(`http://127.0.0.1:${port}/health/ready'`);
      expect(service.command!.join(' '), name).toContain(`node ${name}/src/main.ts`);
      // HAProxy finds the replicas by service name on the same port
      expect(read('infra/haproxy/haproxy.cfg'), name).toMatch(new RegExp(`server-template \\w+- \\d+ ${name}:${port}\\n`));
      expect(read('infra/haproxy/haproxy.cfg').match(/http-check send meth GET uri \/health\/ready /g), name).toHaveLength(3);
    }
  });

  it('migrates once, alone, before any replica starts (two replicas migrating at once could collide)', () => {
    expect(services.migrate.command).toEqual(['node', 'scripts/migrate.ts']);
    expect(services.migrate.deploy?.replicas ?? 1).toBe(1);
    expect(services.migrate.restart).toBe('no');
    expect(services.migrate.environment).toMatchObject({ DB_DRIVER: 'mysql', DB_HOST: 'mysql' });
    for (const name of Object.keys(apps)) {
      expect(services[name].depends_on, name).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        'kafka-init': { condition: 'service_completed_successfully' },
        mysql: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
  });

  it('runs maintained images pinned to a release, Kafka at the version run locally, and one image of ours built once', () => {
    const external = Object.entries(services).filter(([, service]) => !service.build && service.image !== services.migrate.image);
    for (const [name, service] of external) expect(service.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)?$/);
    for (const name of ['mysql', 'redis', 'kafka', 'kafka-init']) expect(services[name].image, name).toMatch(/:\d+\.\d+\.\d+$/);
    expect(services['kafka-ui'].image).toMatch(/^kafbat\/kafka-ui:/);
    const localKafka = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(read('infra/kafka/pom.xml'))![1];
    expect(services.kafka.image).toBe(`apache/kafka:${localKafka}`);
    expect(services['kafka-init'].image).toBe(services.kafka.image);
    // built once, by the one-shot migrate that every replica waits for; the replicas reuse it
    expect(
      Object.entries(services)
        .filter(([, service]) => service.build)
        .map(([name]) => name),
    ).toEqual(['migrate']);
    for (const name of Object.keys(apps)) expect(services[name].image, name).toBe(services.migrate.image);
    expect(read('Dockerfile')).toMatch(/^FROM node:24\.\d+\.\d+-slim$/m);
    expect(read('Dockerfile')).toMatch(/^CMD \["node", "order-service\/src\/main\.ts"\]$/m);
  });

  it("keeps every replica's database pool within MySQL's default 151 connections", () => {
    const total = Object.keys(apps).reduce(
      (sum, name) => sum + services[name].deploy!.replicas! * Number(services[name].environment!.DB_POOL_MAX),
      0,
    );
    expect(total + Number(services.migrate.environment!.DB_POOL_MAX)).toBeLessThan(151);
  });

  it('builds an image that holds every file the containers run, from a build context that holds them', () => {
    const copied = [...read('Dockerfile').matchAll(/^COPY (.+) \S+$/gm)].flatMap((match) => match[1].split(' '));
    for (const path of copied) expect(inBuildContext(path), `${path} in the build context`).toBe(true);
    for (const path of ['node_modules/x', '.git/HEAD', '.data/kafka', 'infra/kafka/libs/a.jar', 'tests/scale/x.ts', 'order-service/test/x.ts']) {
      expect(inBuildContext(path), `${path} kept out of the build context`).toBe(false);
    }
    const run = [...Object.keys(apps).map((name) => `${name}/src/main.ts`), 'scripts/migrate.ts'];
    for (const file of run)
      expect(
        copied.some((path) => file === path || file.startsWith(`${path}/`)),
        `${file} copied`,
      ).toBe(true);
  });
});
