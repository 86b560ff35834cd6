import type { Envelope } from '../contracts/envelope.ts';
import type { IncomingRecord } from '../kafka/kafka-client.ts';
import {
  activeTraceId,
  contextFromHeaders,
  recordError,
  SpanKind,
  traceIdOf,
  traceparentOf,
  tracingActive,
  type Span,
  type Tracing,
} from './tracing.ts';
import { trace, context } from '@opentelemetry/api';

// Kafka spans after the OpenTelemetry messaging conventions: the outbox row carries the trace
// context of the transaction that wrote it (`traceparent` in its headers); the relay's "send"
// span is that context's child and puts its own context in the record's headers; the consumer's
// "process" span is the child of that. One order's saga is so one trace across the services.

const KAFKA = 'kafka';

export interface PublishableRow {
  topic: string;
  messageKey: string | null;
  headers: Record<string, string> | null;
  createdAt: Date;
}

export interface PublishSpans {
  /** Headers to send per row: the row's own, with `traceparent` now naming its send span. */
  headers: (Record<string, string> | undefined)[];
  /** Ends every span: acknowledged, or failed with this error. */
  end(error?: unknown): void;
}

/**
 * One PRODUCER span per outbox row, child of the context stored in the row, starting when the
 * row was written (so the span shows how long the message waited in the outbox) and ending at
 * the broker's acknowledgement. Null when tracing is off: the relay sends the rows as they are.
 */
export function startPublishSpans(tracing: Tracing, rows: readonly PublishableRow[]): PublishSpans | null {
  if (!tracing.enabled) return null;
  const spans: (Span | undefined)[] = [];
  const headers: (Record<string, string> | undefined)[] = [];
  for (const row of rows) {
    const span = tracing.startSpan(`send ${row.topic}`, {
      kind: SpanKind.PRODUCER,
      parent: contextFromHeaders(row.headers),
      startTime: row.createdAt,
      attributes: {
        'messaging.system': KAFKA,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': row.topic,
        ...(row.messageKey ? { 'messaging.kafka.message.key': row.messageKey } : {}),
        'outbox.wait_ms': Date.now() - row.createdAt.getTime(),
      },
    });
    spans.push(span);
    if (!span) {
      headers.push(row.headers ?? undefined);
      continue;
    }
    headers.push({ ...row.headers, traceparent: traceparentOf(span) });
  }
  return {
    headers,
    end(error) {
      for (const span of spans) {
        if (!span) continue;
        if (error !== undefined) recordError(span, error);
        span.end();
      }
    },
  };
}

/**
 * The CONSUMER span of one record: child of the sender's context found in the record's headers
 * (a new trace when there is none). Off: just `work()`.
 */
export function inConsumeSpan<T>(tracing: Tracing, record: IncomingRecord, groupId: string, work: () => Promise<T>): Promise<T> {
  if (!tracing.enabled) return work();
  return tracing.inSpan(
    `process ${record.topic}`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextFromHeaders(record.headers),
      attributes: {
        'messaging.system': KAFKA,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': record.topic,
        'messaging.destination.partition.id': String(record.partition),
        'messaging.kafka.offset': Number(record.offset),
        'messaging.consumer.group.name': groupId,
        ...(record.key ? { 'messaging.kafka.message.key': record.key } : {}),
      },
    },
    () => work(),
  );
}

/** A span around a handler's database transaction (inbox row + the handler's writes). Off: `work()`. */
export function inTransactionSpan<T>(tracing: Tracing, name: string, work: () => Promise<T>): Promise<T> {
  if (!tracing.enabled) return work();
  return tracing.inSpan(name, { kind: SpanKind.INTERNAL, attributes: { 'db.system.name': 'mariadb', 'db.operation.name': 'TRANSACTION' } }, () =>
    work(),
  );
}

/**
 * The trace id for a message's log lines — the consume span's, or (tracing off here) the one the
 * sender put in the headers — and, when tracing, the envelope's ids on the consume span.
 */
export function traceIdOfMessage(record: IncomingRecord, envelope: Envelope): string | undefined {
  if (tracingActive()) {
    const span = trace.getSpan(context.active());
    if (span) {
      span.setAttribute('messaging.message.id', envelope.messageId);
      if (envelope.orderId) span.setAttribute('commerce.order_id', envelope.orderId);
      span.setAttribute('commerce.message_type', envelope.type);
    }
    const active = activeTraceId();
    if (active) return active;
  }
  return traceIdOf(record.headers.traceparent) ?? undefined;
}

/** Notes an outcome (handled, duplicate, dead-lettered…) on the active span, if any. */
export function noteMessageOutcome(outcome: string, reason?: string): void {
  if (!tracingActive()) return;
  const span = trace.getSpan(context.active());
  if (!span) return;
  span.setAttribute('messaging.outcome', outcome);
  if (reason) span.addEvent(outcome, { reason: reason.slice(0, 500) });
}

/**
 * One CONSUMER span per message of a batch (child of the sender's context), not made active: each
 * message's traceparent is set to its span, so what a handler sends for it continues its trace even
 * though the batch shares one transaction. Null when tracing is off.
 */
export function startConsumeSpans(
  tracing: Tracing,
  messages: readonly { record: IncomingRecord; envelope: Envelope; traceparent: string | null }[],
  groupId: string,
): Span[] | null {
  if (!tracing.enabled) return null;
  const spans: Span[] = [];
  for (const message of messages) {
    const { record, envelope } = message;
    const span = tracing.startSpan(`process ${record.topic}`, {
      kind: SpanKind.CONSUMER,
      parent: contextFromHeaders(record.headers),
      attributes: {
        'messaging.system': KAFKA,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': record.topic,
        'messaging.destination.partition.id': String(record.partition),
        'messaging.kafka.offset': Number(record.offset),
        'messaging.consumer.group.name': groupId,
        'messaging.message.id': envelope.messageId,
        'commerce.message_type': envelope.type,
        ...(envelope.orderId ? { 'commerce.order_id': envelope.orderId } : {}),
        ...(record.key ? { 'messaging.kafka.message.key': record.key } : {}),
      },
    });
    if (!span) continue;
    spans.push(span);
    // The handler's work for this message: a span of its own inside the consume span (the batch
    // shares one transaction, so this marks the message's part of it); what it causes continues it.
    const handle = tracing.startSpan(`handle ${envelope.type}`, {
      kind: SpanKind.INTERNAL,
      parent: trace.setSpan(context.active(), span),
      attributes: { 'db.system.name': 'mariadb', 'db.operation.name': 'TRANSACTION' },
    });
    if (!handle) continue;
    spans.push(handle);
    message.traceparent = traceparentOf(handle);
  }
  return spans;
}

export function endConsumeSpans(spans: Span[] | null): void {
  if (spans) for (const span of spans) span.end();
}
