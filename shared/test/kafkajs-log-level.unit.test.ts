import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkajsLogLevel } from '../src/kafka/kafkajs-client.ts';

describe("kafkajs's log entries in the service log", () => {
  it('keeps the warning about bounded producer retries (a choice made on purpose) at debug', () => {
    expect(kafkajsLogLevel(logLevel.WARN, 'Producer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees', undefined)).toBe(
      'debug',
    );
  });

  it('keeps a heartbeat answered "rebalancing" at debug: the consumer says it re-joins at warn', () => {
    expect(
      kafkajsLogLevel(logLevel.ERROR, 'Connection', 'Response Heartbeat(key: 12, version: 3)', 'The group is rebalancing, so a rejoin is needed'),
    ).toBe('debug');
    expect(kafkajsLogLevel(logLevel.WARN, 'Runner', 'The group is rebalancing, re-joining', 'The group is rebalancing, so a rejoin is needed')).toBe(
      'warn',
    );
  });

  it("keeps a just-started broker's 'coordinator is loading' (retried by kafkajs) at debug", () => {
    expect(
      kafkajsLogLevel(
        logLevel.ERROR,
        'Connection',
        'Response InitProducerId(key: 22, version: 1)',
        "The coordinator is loading and hence can't process requests for this group",
      ),
    ).toBe('debug');
  });

  it('passes every other warning and error through at its own level', () => {
    expect(kafkajsLogLevel(logLevel.ERROR, 'Connection', 'Response Metadata(key: 3, version: 6)', 'SASL SCRAM SHA256 authentication failed')).toBe(
      'error',
    );
    expect(kafkajsLogLevel(logLevel.WARN, 'Producer', 'something else', undefined)).toBe('warn');
    expect(kafkajsLogLevel(logLevel.INFO, 'Consumer', 'Starting', undefined)).toBe('debug');
  });
});
