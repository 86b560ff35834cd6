import { z } from 'zod';

const url = z.url();

/**
 * The standard OpenTelemetry variables the services read (shared/src/observability/tracing.ts
 * interprets them; this schema checks and documents them). Tracing is off unless an exporter or
 * an endpoint is named. Other OTEL_* variables are passed to the OTLP exporter as they are.
 */
export const tracingEnvSchema = z.object({
  OTEL_SDK_DISABLED: z
    .string()
    .regex(/^\s*(true|false)\s*$/i, 'expected true or false')
    .optional()
    .meta({ description: 'true: no tracing, whatever else is set.', 'x-type': 'true | false' }),
  OTEL_TRACES_EXPORTER: z
    .string()
    .regex(/^\s*(otlp|console|none)\s*(,\s*(otlp|console|none)\s*)*$/i, 'expected otlp, console or none (comma separated)')
    .optional()
    .meta({ description: 'Unset: otlp when an endpoint is set, otherwise no tracing.', 'x-type': 'otlp | console | none' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: url
    .optional()
    .meta({ description: 'OTLP over HTTP base URL; traces go to its /v1/traces.', examples: ['http://127.0.0.1:4318'] }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional().describe('Full OTLP/HTTP traces URL (wins over OTEL_EXPORTER_OTLP_ENDPOINT).'),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .enum(['http/json', 'http/protobuf', 'grpc'])
    .optional()
    .describe('Only OTLP over HTTP is exported (as JSON); anything else logs a warning.'),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z
    .enum(['http/json', 'http/protobuf', 'grpc'])
    .optional()
    .describe('As OTEL_EXPORTER_OTLP_PROTOCOL, for traces.'),
  OTEL_SERVICE_NAME: z.string().min(1).optional().describe('service.name of the spans (default: the service name).'),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on')
    .describe('Which spans are kept.'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1).describe('Ratio kept by the traceidratio samplers.'),
});
