import { describe, expect, it } from 'vitest';
import { histogramQuantile, parsePrometheusText, sumOf } from '../../scripts/metrics/prometheus-text.ts';
import { summarize } from '../../scripts/metrics/summary.ts';

const text = `# HELP saga_duration_seconds From order placement to a terminal state
# TYPE saga_duration_seconds histogram
saga_duration_seconds_bucket{le="0.1",outcome="CONFIRMED",service="order-service"} 2
saga_duration_seconds_bucket{le="1",outcome="CONFIRMED",service="order-service"} 8
saga_duration_seconds_bucket{le="+Inf",outcome="CONFIRMED",service="order-service"} 10
saga_duration_seconds_count{outcome="CONFIRMED",service="order-service"} 10
saga_duration_seconds_count{outcome="CANCELLED",service="order-service"} 3
saga_orders{status="CONFIRMED",service="order-service"} 10
http_requests_total{method="POST",route="/api/v1/orders",status="201",service="order-service"} 13
http_requests_total{method="GET",route="/x",status="503",service="order-service"} 1
odd{label="with \\"quotes\\", a comma and a \\\\ backslash"} 1.5e3
kafka_consumer_lag_messages{group="order-service",topic="payment-response",partition="0"} 4
`;

describe('npm run metrics', () => {
  it('parses the Prometheus text format, escapes included', () => {
    const samples = parsePrometheusText(text);
    expect(samples.find((s) => s.name === 'odd')).toEqual({
      name: 'odd',
      labels: { label: 'with "quotes", a comma and a \\ backslash' },
      value: 1500,
    });
    expect(sumOf(samples, 'saga_duration_seconds_count')).toBe(13);
    expect(sumOf(samples, 'http_requests_total', { method: 'POST' })).toBe(13);
  });

  it('computes quantiles from buckets like histogram_quantile()', () => {
    const samples = parsePrometheusText(text);
    expect(histogramQuantile(samples, 'saga_duration_seconds', 0.1)).toBeCloseTo(0.05); // 1 of 2 in (0, 0.1]
    expect(histogramQuantile(samples, 'saga_duration_seconds', 0.5)).toBeCloseTo(0.1 + 0.9 * (3 / 6));
    expect(histogramQuantile(samples, 'saga_duration_seconds', 0.99)).toBe(1); // in +Inf: the highest finite bound
    expect(histogramQuantile(samples, 'missing', 0.5)).toBeNull();
  });

  it('prints one screen, marking a service that does not answer', () => {
    const screen = summarize([
      { service: 'order', url: 'http://o', samples: parsePrometheusText(text) },
      { service: 'product', url: 'http://p', samples: null, error: 'ECONNREFUSED' },
      { service: 'payment', url: 'http://q', samples: [] },
    ]);
    expect(screen).toContain('CANCELLED 3  CONFIRMED 10');
    expect(screen).toContain('CONFIRMED 10');
    expect(screen).toMatch(/http requests\s+14 \(5xx 1\)\s+down/);
    expect(screen).toContain('4 (max 4/partition)');
    expect(screen).toContain('product: http://p/metrics — ECONNREFUSED');
    expect(screen.split('\n').length).toBeLessThan(40);
  });
});
