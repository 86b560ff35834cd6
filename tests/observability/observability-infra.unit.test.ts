import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine here: the observability stack of infra/compose.yaml is checked for what can be
// checked without one — wiring, ports, mounted files, and that every metric a dashboard queries is
// one the services register.
const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  command?: string[];
}
const compose = parse(read('infra/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;
const apps = { 'order-service': 8181, 'product-service': 8182, 'payment-service': 8183 } as const;

/** Every source file of the services and the kernel, for metric names. */
function sources(dir: string): string {
  let text = '';
  for (const entry of readdirSync(`${root}${dir}`, { withFileTypes: true })) {
    if (entry.isDirectory()) text += sources(`${dir}/${entry.name}`);
    else if (entry.name.endsWith('.ts')) text += read(`${dir}/${entry.name}`);
  }
  return text;
}

describe('observability in infra/compose.yaml', () => {
  it('runs Jaeger with OTLP over HTTP on 4318, and every service exports its traces there', () => {
    // Jaeger v2 (v1's all-in-one image is end of life); its OTLP receiver listens on localhost unless told otherwise
    expect(services.jaeger.image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(services.jaeger.command).toContain('receivers.otlp.protocols.http.endpoint=0.0.0.0:4318');
    // The UI on the host's loopback; the receiver only for the containers (nobody outside writes traces).
    expect(services.jaeger.ports).toEqual(['127.0.0.1:16686:16686']);
    for (const app of Object.keys(apps)) {
      expect(services[app].environment!.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://jaeger:4318');
    }
    expect(services['order-service'].environment!.TRACE_UI_URL).toContain('{traceId}');
  });

  it('scrapes every replica of each service on its own port', () => {
    const mount = services.prometheus.volumes!.find((volume) => volume.endsWith(':/etc/prometheus/prometheus.yml:ro'))!;
    const config = parse(read(`infra/${mount.split(':')[0].replace(/^\.\//, '')}`)) as {
      scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
    };
    for (const [app, port] of Object.entries(apps)) {
      const job = config.scrape_configs.find((entry) => entry.job_name === app)!;
      expect(job.dns_sd_configs).toEqual([expect.objectContaining({ names: [app], type: 'A', port })]);
      expect(services[app].environment!.PORT).toBe(String(port));
    }
  });

  it('provisions Grafana with Prometheus, Jaeger and the dashboard from mounted files', () => {
    const volumes = services.grafana.volumes!;
    expect(volumes).toEqual(
      expect.arrayContaining(['./grafana/provisioning:/etc/grafana/provisioning:ro', './grafana/dashboards:/var/lib/grafana/dashboards:ro']),
    );
    const datasources = parse(read('infra/grafana/provisioning/datasources/prometheus.yaml')) as { datasources: { uid: string; url: string }[] };
    expect(datasources.datasources.map((d) => [d.uid, d.url])).toEqual([
      ['prometheus', 'http://prometheus:9090'],
      ['jaeger', 'http://jaeger:16686'],
    ]);
    const providers = parse(read('infra/grafana/provisioning/dashboards/dashboards.yaml')) as { providers: { options: { path: string } }[] };
    expect(providers.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    expect(services.grafana.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe('/var/lib/grafana/dashboards/commerce-sagas.json');
  });

  it('has a dashboard whose every query names metrics the services register, with bounded labels only', () => {
    const dashboard = JSON.parse(read('infra/grafana/dashboards/commerce-sagas.json')) as {
      uid: string;
      panels: { type: string; title: string; targets?: { expr: string; datasource: { uid: string } }[] }[];
    };
    const titles = dashboard.panels.map((panel) => panel.title);
    for (const wanted of [
      'Saga throughput by outcome',
      'Saga duration percentiles (POST → terminal)',
      'Orders per status',
      'Outbox pending rows',
      'Consumer lag by group and topic',
      'Dead letters by original topic',
    ]) {
      expect(titles).toContain(wanted);
    }
    const code = sources('shared/src') + sources('order-service/src');
    const defaults = /^(process_|nodejs_)/;
    const metricNames = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        expect(target.datasource.uid).toBe('prometheus');
        const withoutStrings = target.expr.replace(/"[^"]*"/g, '""');
        for (const [word] of withoutStrings.matchAll(/\b[a-z]+(?:_[a-z0-9]+)+\b/g)) {
          if (word !== 'histogram_quantile') metricNames.add(word.replace(/_(bucket|count|sum)$/, ''));
        }
        expect(target.expr).not.toMatch(/order_?id|message_?id/i);
      }
    }
    expect([...metricNames]).toEqual(
      expect.arrayContaining(['saga_duration_seconds', 'saga_orders', 'kafka_consumer_lag_messages', 'dead_letters_published_total']),
    );
    for (const name of metricNames) {
      if (defaults.test(name)) continue;
      expect(code, `metric ${name}`).toContain(`'${name}'`);
    }
  });
});
