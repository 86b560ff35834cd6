import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from './logger.ts';

/**
 * Tracing of one service, with OpenTelemetry spans made by hand (no auto-instrumentation: the
 * services run .ts files with Node's type stripping, where --require/--import hooks are of no use).
 *
 * OFF unless the standard OTEL_* environment asks for an exporter; then no SDK is loaded, every
 * `inSpan` is a plain call and the context helpers return null at the cost of one comparison.
 * ON, each service gets a tracer provider of its own (its resource names the service, so three
 * services in one test process still look like three services), while the context manager
 * (AsyncLocalStorage) and the W3C propagator are process-wide.
 */
export interface Tracing {
  readonly enabled: boolean;
  /**
   * Runs `work` inside a new span, active for everything `work` awaits; the span ends when `work`
   * settles (a throw marks it as an error and is rethrown). Off: just `work(undefined)`.
   */
  inSpan<T>(name: string, options: SpanStart, work: (span: Span | undefined) => Promise<T>): Promise<T>;
  /** A span that is not made active (e.g. one per published record); undefined when off. */
  startSpan(name: string, options: SpanStart): Span | undefined;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface SpanStart {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; default: the active context. ROOT_CONTEXT starts a new trace. */
  parent?: Context;
  startTime?: Date | number;
}

export { ROOT_CONTEXT, SpanKind, SpanStatusCode };
export type { Span };

export const noTracing: Tracing = {
  enabled: false,
  inSpan: (_name, _options, work) => work(undefined),
  startSpan: () => undefined,
  forceFlush: async () => {},
  shutdown: async () => {},
};

/** Set once the first enabled tracing starts; null means nobody in this process traces. */
let propagator: TextMapPropagator | null = null;

/** Is any tracing on in this process (then the context helpers below do something)? */
export function tracingActive(): boolean {
  return propagator !== null;
}

/** The W3C `traceparent` of the active span, or null (tracing off, or no span active). */
export function activeTraceparent(): string | null {
  if (propagator === null) return null;
  const active = context.active();
  if (trace.getSpan(active) === undefined) return null;
  const carrier: Record<string, string> = {};
  propagator.inject(active, carrier, defaultTextMapSetter);
  return carrier.traceparent ?? null;
}

/**
 * Message headers with the active trace context added (`traceparent`, `tracestate`), for an
 * outbox row; the given headers themselves when tracing is off or no span is active.
 */
export function withTraceContext(headers: Record<string, string> | null | undefined): Record<string, string> | null {
  if (propagator === null) return headers ?? null;
  const active = context.active();
  if (trace.getSpan(active) === undefined) return headers ?? null;
  const carrier: Record<string, string> = { ...headers };
  propagator.inject(active, carrier, defaultTextMapSetter);
  return carrier;
}

/** The context a `traceparent` (and `tracestate`) in these headers describes; ROOT_CONTEXT when none. */
export function contextFromHeaders(headers: Record<string, string | undefined> | null | undefined): Context {
  if (propagator === null || !headers || !headers.traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  return traceparent ? contextFromHeaders({ traceparent }) : ROOT_CONTEXT;
}

const traceparentPattern = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;

/** The trace id inside a W3C `traceparent`, or null (works with tracing off: for log lines and pages). */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  if (!traceparent) return null;
  const match = traceparentPattern.exec(traceparent);
  return match && match[1] !== '00000000000000000000000000000000' ? match[1] : null;
}

/** The trace id of the active span, or null. */
export function activeTraceId(): string | null {
  if (propagator === null) return null;
  const span = trace.getSpan(context.active());
  return span ? span.spanContext().traceId : null;
}

/** The W3C `traceparent` naming this span (as a message header carries it). */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-0${(traceFlags & 1).toString(16)}`;
}

/** Marks a span as failed by this error (message, exception event). */
export function recordError(span: Span | undefined, error: unknown): void {
  if (!span) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

export interface TracingConfig {
  /** service.name of the spans (OTEL_SERVICE_NAME wins). */
  service: string;
  instanceId?: string;
  version?: string;
  /** The environment to read OTEL_* from (process env + a test's overrides). */
  env: Record<string, string | undefined>;
  /** Export to this exporter (tests: InMemorySpanExporter), whatever the environment says. */
  exporter?: SpanExporter;
  logger?: Logger;
}

/** Which exporter the standard environment asks for; null: tracing off. */
export function tracesExporterFromEnv(env: Record<string, string | undefined>): 'otlp' | 'console' | null {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return null;
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (named.includes('none')) return null;
  if (named.includes('otlp')) return 'otlp';
  if (named.includes('console')) return 'console';
  // Nothing named: OTLP if an endpoint is configured, else off (the spec would default to OTLP on
  // localhost; here an unconfigured service must cost nothing).
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT) return 'otlp';
  return null;
}

/** The OTLP/HTTP traces URL from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is) or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces). */
export function otlpTracesUrl(env: Record<string, string | undefined>): string {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts a service's tracing as the OTEL_* environment says: `OTEL_TRACES_EXPORTER` (otlp,
 * console, none), `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (OTLP over
 * HTTP, JSON), `OTEL_TRACES_SAMPLER` (+ `_ARG`), `OTEL_SERVICE_NAME`, `OTEL_SDK_DISABLED`. With
 * none of them set, returns `noTracing` and loads no SDK.
 */
export async function createTracing(config: TracingConfig): Promise<Tracing> {
  const kind = config.exporter ? 'given' : tracesExporterFromEnv(config.env);
  if (kind === null) return noTracing;

  const [{ AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { resourceFromAttributes }, sdk, semconv] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/semantic-conventions'),
  ]);

  if (propagator === null) {
    const manager = new AsyncLocalStorageContextManager();
    manager.enable();
    // false when one is already set (another tracing in this process): that one is just as good.
    context.setGlobalContextManager(manager);
    propagator = new W3CTraceContextPropagator();
  }

  let processor: InstanceType<typeof sdk.SimpleSpanProcessor> | InstanceType<typeof sdk.BatchSpanProcessor>;
  if (kind === 'given') {
    processor = new sdk.SimpleSpanProcessor({ exporter: config.exporter! });
  } else if (kind === 'console') {
    processor = new sdk.SimpleSpanProcessor({ exporter: new sdk.ConsoleSpanExporter() });
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const protocol = config.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.env.OTEL_EXPORTER_OTLP_PROTOCOL;
    if (protocol && protocol !== 'http/json' && protocol !== 'http/protobuf') {
      config.logger?.warn({ protocol }, 'only OTLP over HTTP is supported; exporting http/json');
    }
    processor = new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: otlpTracesUrl(config.env) }) });
  }

  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({
      [semconv.ATTR_SERVICE_NAME]: config.env.OTEL_SERVICE_NAME || config.service,
      [semconv.ATTR_SERVICE_VERSION]: config.version ?? '1.0.0',
      'service.instance.id': config.instanceId ?? String(process.pid),
    }),
    sampler: samplerFromEnv(sdk, config.env),
    spanProcessors: [processor],
  });
  const tracer: Tracer = provider.getTracer('commerce-platform');
  config.logger?.info({ exporter: kind === 'given' ? 'in-process' : kind }, 'tracing on');

  return {
    enabled: true,
    inSpan(name, options, work) {
      return tracer.startActiveSpan(
        name,
        { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, startTime: options.startTime },
        options.parent ?? context.active(),
        async (span) => {
          try {
            return await work(span);
          } catch (error) {
            recordError(span, error);
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },
    startSpan(name, options) {
      return tracer.startSpan(
        name,
        { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, startTime: options.startTime },
        options.parent ?? context.active(),
      );
    },
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown().catch((error) => config.logger?.warn({ err: String(error) }, 'tracing shutdown failed'));
    },
  };
}

type Sdk = typeof import('@opentelemetry/sdk-trace');

function samplerFromEnv(sdk: Sdk, env: Record<string, string | undefined>) {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  const safeRatio = Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : 1;
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(safeRatio);
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(safeRatio) });
    default:
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}
