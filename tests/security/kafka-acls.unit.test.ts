import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { aclGrantsFor, mayWrite, servicePrincipals } from '#shared/contracts/topic-access.ts';

// infra/kafka/kafka.sh creates the ACLs of the unprefixed topics from its own table (it runs where
// there is no Node: the compose init container); the test harness grants a run's prefixed topics
// from shared/src/contracts/topic-access.ts. The two must say the same.
const script = readFileSync(fileURLToPath(new URL('../../infra/kafka/kafka.sh', import.meta.url)), 'utf8');
const table = /^ACLS=\(\n([\s\S]*?)\n\)$/m.exec(script)![1]!;
const shellGrants = table
  .split('\n')
  .map((line) => /^\s*"(.*)"\s*$/.exec(line)?.[1])
  .filter((line): line is string => line !== undefined)
  .flatMap((line) => {
    const [principal, operations, resource, ...names] = line.split(/\s+/);
    return operations!.split(',').flatMap((operation) => names.map((name) => `${principal} ${operation.toUpperCase()} ${resource} ${name}`));
  });

describe('Kafka ACLs', () => {
  it("kafka.sh's table grants the services exactly the writes, reads and groups of topic-access.ts", () => {
    const services = new Set<string>(servicePrincipals);
    const fromShell = shellGrants.filter((grant) => services.has(grant.split(' ')[0]!) && !grant.includes(' DESCRIBE ')).sort();
    const fromTs = aclGrantsFor('')
      .filter((grant) => grant.operation !== 'DESCRIBE')
      .map((grant) => `${grant.principal} ${grant.operation} ${grant.resource.toLowerCase()} ${grant.name}`)
      .sort();
    expect(fromShell).toEqual(fromTs);
  });

  it('lets only the payment service write payment-response and only the order service write the commands', () => {
    expect(servicePrincipals.filter((service) => mayWrite(service, 'payment-response'))).toEqual(['payment-service']);
    expect(servicePrincipals.filter((service) => mayWrite(service, 'payment-request'))).toEqual(['order-service']);
    expect(servicePrincipals.filter((service) => mayWrite(service, 'product-reservation-request'))).toEqual(['order-service']);
    expect(servicePrincipals.filter((service) => mayWrite(service, 'product-catalog'))).toEqual(['product-service']);
    // dead letters: written by the topic's consumer
    expect(servicePrincipals.filter((service) => mayWrite(service, 'payment-request.dlq'))).toEqual(['payment-service']);
    expect(servicePrincipals.filter((service) => mayWrite(service, 'payment-response.dlq'))).toEqual(['order-service']);
    expect(mayWrite('order-service', 'some-other-topic')).toBe(false);
  });

  it('gives the read-only Kafka UI principal no write of any kind', () => {
    const ui = shellGrants.filter((grant) => grant.startsWith('kafka-ui '));
    expect(ui.length).toBeGreaterThan(0);
    expect(ui.filter((grant) => !/ (READ|DESCRIBE|DESCRIBECONFIGS) /.test(grant))).toEqual([]);
  });
});
