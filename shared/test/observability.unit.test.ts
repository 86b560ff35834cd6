import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { partitionLag } from '../src/observability/consumer-lag.ts';
import { startPublishSpans } from '../src/observability/messaging-tracing.ts';
import {
  activeTraceparent,
  contextFromHeaders,
  createTracing,
  noTracing,
  otlpTracesUrl,
  traceIdOf,
  tracesExporterFromEnv,
  tracingActive,
  withTraceContext,
} from '../src/observability/tracing.ts';

describe('tracing configuration from the OTEL_* environment', () => {
  it('is off with nothing set, with OTEL_TRACES_EXPORTER=none and with OTEL_SDK_DISABLED', () => {
    expect(tracesExporterFromEnv({})).toBeNull();
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBeNull();
    expect(tracesExporterFromEnv({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBeNull();
  });

  it('exports OTLP when an endpoint is set or otlp is named; console when named', () => {
    expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe('otlp');
    expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe('otlp');
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe('otlp');
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
  });

  it('builds the traces URL as the spec says: the signal endpoint as is, the base one + /v1/traces', () => {
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' })).toBe('http://jaeger:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:9999/traces' })).toBe('http://c:9999/traces');
    expect(otlpTracesUrl({})).toBe('http://localhost:4318/v1/traces');
  });

  it('reads the trace id out of a traceparent, and nothing out of anything else', () => {
    expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(null)).toBeNull();
  });
});

describe('tracing off', () => {
  it('loads no SDK, runs work as a plain call and adds nothing to headers', async () => {
    const tracing = await createTracing({ service: 'x', env: {} });
    expect(tracing).toBe(noTracing);
    expect(tracingActive()).toBe(false);
    expect(await tracing.inSpan('a', {}, async (span) => span)).toBeUndefined();
    expect(withTraceContext({ a: 'b' })).toEqual({ a: 'b' });
    expect(withTraceContext(undefined)).toBeNull();
    expect(activeTraceparent()).toBeNull();
    expect(startPublishSpans(tracing, [{ topic: 't', messageKey: 'k', headers: null, createdAt: new Date() }])).toBeNull();
  });
});

describe('tracing on (in-memory exporter)', () => {
  it('parents spans through the active context, outbox headers and record headers', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await createTracing({ service: 'unit-service', env: {}, exporter });
    expect(tracing.enabled).toBe(true);

    let stored: Record<string, string> | null = null;
    await tracing.inSpan('outer', {}, async () => {
      await tracing.inSpan('inner', {}, async () => {
        stored = withTraceContext({ 'x-other': '1' });
        expect(activeTraceparent()).toBe(stored!.traceparent);
      });
    });
    expect(stored!['x-other']).toBe('1');
    const [inner, outer] = exporter.getFinishedSpans();
    expect(inner.name).toBe('inner');
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(traceIdOf(stored!.traceparent)).toBe(outer.spanContext().traceId);
    expect(inner.resource.attributes['service.name']).toBe('unit-service');

    // the relay: a send span per row, child of the row's context, whose own context goes in the record
    const createdAt = new Date(Date.now() - 50);
    const spans = startPublishSpans(tracing, [{ topic: 'payment-request', messageKey: 'order-1', headers: stored, createdAt }])!;
    spans.end();
    const send = exporter.getFinishedSpans().find((span) => span.name === 'send payment-request')!;
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.parentSpanContext?.spanId).toBe(inner.spanContext().spanId);
    expect(spans.headers[0]!.traceparent).toContain(send.spanContext().spanId);
    expect(spans.headers[0]!['x-other']).toBe('1');

    // the consumer: a span whose parent comes from the record's headers
    await tracing.inSpan('process payment-request', { parent: contextFromHeaders(spans.headers[0]), kind: SpanKind.CONSUMER }, async () => {});
    const processed = exporter.getFinishedSpans().find((span) => span.name === 'process payment-request')!;
    expect(processed.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(processed.spanContext().traceId).toBe(outer.spanContext().traceId);

    // a failure marks the span and is rethrown
    await expect(tracing.inSpan('fails', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const failed = exporter.getFinishedSpans().find((span) => span.name === 'fails')!;
    expect(failed.status.code).toBe(2);
    expect(failed.status.message).toBe('boom');
    await tracing.shutdown();
  });
});

describe('consumer lag', () => {
  it('is the high watermark minus the committed offset, or everything retained when nothing is committed', () => {
    expect(partitionLag({ partition: 0, low: '0', high: '120' }, '100')).toBe(20);
    expect(partitionLag({ partition: 0, low: '0', high: '120' }, '120')).toBe(0);
    expect(partitionLag({ partition: 0, low: '30', high: '120' }, '-1')).toBe(90);
    expect(partitionLag({ partition: 0, low: '30', high: '120' }, undefined)).toBe(90);
  });
});
