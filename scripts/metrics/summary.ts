import { histogramQuantile, sumOf, type Sample } from './prometheus-text.ts';

export type ServiceKey = 'order' | 'product' | 'payment';

export interface Scrape {
  service: ServiceKey;
  url: string;
  /** null: the service did not answer. */
  samples: Sample[] | null;
  error?: string;
}

const ORDER_STATUSES = ['PENDING', 'RESERVED', 'PAID', 'CONFIRMED', 'CANCELLING', 'CANCELLED'];

const ms = (seconds: number | null) => (seconds === null ? '—' : seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(seconds * 1000).toFixed(1)} ms`);
const n = (value: number) => (Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(1));
const pad = (text: string, width: number) => (text.length >= width ? text : text + ' '.repeat(width - text.length));

function distinct(samples: readonly Sample[], name: string, label: string): string[] {
  return [...new Set(samples.filter((s) => s.name === name && s.labels[label] !== undefined).map((s) => s.labels[label]))].sort();
}

/**
 * One screen of what the three services' /metrics say: sagas (finished by outcome, duration
 * percentiles, orders per status, steps, timeouts, compensations, the slowest step transitions),
 * then one column per service: HTTP, inbox, outbox, consumer lag, dead letters, process.
 * `previous` (an earlier scrape) adds rates.
 */
export function summarize(scrapes: readonly Scrape[], previous?: { scrapes: readonly Scrape[]; seconds: number }): string {
  const lines: string[] = [];
  const of = (service: ServiceKey) => scrapes.find((s) => s.service === service)?.samples ?? null;
  const before = (service: ServiceKey) => previous?.scrapes.find((s) => s.service === service)?.samples ?? null;
  const order = of('order');

  lines.push('SAGAS (order service)');
  if (!order) {
    lines.push('  order service not reachable');
  } else {
    const outcomes = distinct(order, 'saga_duration_seconds_count', 'outcome');
    const finished = outcomes.map((outcome) => `${outcome} ${n(sumOf(order, 'saga_duration_seconds_count', { outcome }))}`).join('  ');
    let rate = '';
    const earlier = before('order');
    if (earlier && previous) {
      const delta = sumOf(order, 'saga_duration_seconds_count') - sumOf(earlier, 'saga_duration_seconds_count');
      rate = `   ${(delta / previous.seconds).toFixed(1)} sagas/s`;
    }
    lines.push(`  finished     ${finished || 'none yet'}${rate}`);
    lines.push(
      `  duration     p50 ${ms(histogramQuantile(order, 'saga_duration_seconds', 0.5))}  p95 ${ms(histogramQuantile(order, 'saga_duration_seconds', 0.95))}  p99 ${ms(histogramQuantile(order, 'saga_duration_seconds', 0.99))}  (POST → terminal)`,
    );
    const counted = order.some((s) => s.name === 'saga_orders');
    lines.push(
      `  orders now   ${counted ? ORDER_STATUSES.map((status) => `${status} ${n(sumOf(order, 'saga_orders', { status }))}`).join('  ') : '— (not counted yet)'}`,
    );
    const sources = distinct(order, 'saga_steps_total', 'source');
    lines.push(
      `  steps        ${n(sumOf(order, 'saga_steps_total'))} (${sources.map((source) => `${source} ${n(sumOf(order, 'saga_steps_total', { source }))}`).join(', ')})` +
        `   no-ops ${n(sumOf(order, 'saga_steps_total', { changed: 'false' }))}   timeouts fired ${n(sumOf(order, 'saga_timeouts_fired_total'))}` +
        `   compensations ${n(sumOf(order, 'saga_compensations_total'))}`,
    );
    const transitions = order
      .filter((s) => s.name === 'saga_step_duration_seconds_count' && s.value > 0)
      .map((s) => ({
        event: s.labels.event,
        from: s.labels.from,
        to: s.labels.to,
        count: s.value,
        p95: histogramQuantile(order, 'saga_step_duration_seconds', 0.95, s.labels) ?? 0,
      }))
      .sort((a, b) => b.p95 - a.p95)
      .slice(0, 3);
    lines.push(
      `  slowest steps ${transitions.length === 0 ? '—' : transitions.map((t) => `${t.event} ${t.from}→${t.to} p95 ${ms(t.p95)} (n=${n(t.count)})`).join('; ')}`,
    );
  }

  const columns: ServiceKey[] = ['order', 'product', 'payment'];
  const width = 24;
  lines.push('');
  lines.push(pad('PER SERVICE', 22) + columns.map((c) => pad(c, width)).join(''));
  const row = (label: string, cell: (samples: Sample[]) => string) =>
    lines.push(pad(`  ${label}`, 22) + columns.map((c) => pad(of(c) ? cell(of(c)!) : 'down', width)).join(''));
  row('up', () => 'yes');
  row(
    'http requests',
    (s) =>
      `${n(sumOf(s, 'http_requests_total'))} (5xx ${n(s.filter((x) => x.name === 'http_requests_total' && x.labels.status?.startsWith('5')).reduce((a, x) => a + x.value, 0))})`,
  );
  row('http p95', (s) => ms(histogramQuantile(s, 'http_request_duration_seconds', 0.95)));
  row('inbox handled', (s) => n(sumOf(s, 'inbox_messages_handled_total', { outcome: 'handled' })));
  row('inbox duplicates', (s) => n(sumOf(s, 'inbox_messages_handled_total', { outcome: 'duplicate' })));
  row('handler p95', (s) => ms(histogramQuantile(s, 'inbox_handle_duration_seconds', 0.95)));
  row('outbox published', (s) => n(sumOf(s, 'outbox_messages_published_total')));
  row('outbox pending', (s) => `${n(sumOf(s, 'outbox_pending_messages'))} (oldest ${ms(sumOf(s, 'outbox_oldest_pending_age_seconds'))})`);
  row('publish delay p95', (s) => ms(histogramQuantile(s, 'outbox_publish_delay_seconds', 0.95)));
  row('publish failures', (s) => n(sumOf(s, 'outbox_publish_failures_total')));
  row('consumer lag', (s) => {
    const parts = s.filter((x) => x.name === 'kafka_consumer_lag_messages');
    if (parts.length === 0) return '—';
    return `${n(parts.reduce((a, x) => a + x.value, 0))} (max ${n(Math.max(...parts.map((x) => x.value)))}/partition)`;
  });
  row('dead letters', (s) => n(sumOf(s, 'dead_letters_published_total')));
  row('memory (RSS)', (s) => `${(sumOf(s, 'process_resident_memory_bytes') / 1024 / 1024).toFixed(0)} MB`);
  row('cpu', (s) => `${sumOf(s, 'process_cpu_seconds_total').toFixed(1)} s`);
  row('event loop p99', (s) => ms(sumOf(s, 'nodejs_eventloop_lag_p99_seconds')));

  const down = scrapes.filter((s) => !s.samples);
  if (down.length > 0) {
    lines.push('');
    for (const scrape of down) lines.push(`  ${scrape.service}: ${scrape.url}/metrics — ${scrape.error ?? 'no answer'}`);
  }
  return lines.join('\n');
}
