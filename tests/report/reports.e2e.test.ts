import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../scripts/load/report.ts';
import { loadReportHtml } from '../../scripts/report/load-report.ts';
import { readRestateSummary } from '../../scripts/report/restate-summary.ts';
import { sagaBenchReportHtml, type SagaBenchRecord } from '../../scripts/report/saga-bench-report.ts';
import loadFixture from './fixtures/load-run.json' with { type: 'json' };
import benchFixture from './fixtures/saga-bench.json' with { type: 'json' };

// Recorded data in the shapes the code writes: load-run.json by the load test's buildReport
// (fixtures/synthesize-load-run.ts), saga-bench.json by the bench's resultOf/costsBetween/timelineOf
// (fixtures/synthesize-saga-bench.ts), both from seeded orders; the Restate log has the lines bench.mjs
// prints, its SUMMARY with the figures of ../shared/bench/restate-saga/RESULTS.md (run A).
const load: LoadReport = loadFixture;
const bench: SagaBenchRecord = benchFixture;
const restateLog = fileURLToPath(new URL('./fixtures/restate-bench.log', import.meta.url));
// Debian's Chromium (scripts/lib/ensure-chromium.sh installs it); no browser is ever downloaded.
const chromiumPath = '/usr/bin/chromium';

let browser: Browser;
let dir: string;

interface Drawn {
  id: string;
  caption: string;
  type: string;
  points: number;
  axisTitles: string[];
  /** Pixels of the canvas something was drawn on, and how many colours. */
  inked: number;
  colours: number;
}

/** Opens a report as a person would (from the file), waits for its charts and reads what each one drew. */
async function open(html: string, name: string) {
  const file = join(dir, name);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const problems: string[] = [];
  const requested: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => requested.push(request.url()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.body.dataset.chartsDrawn !== undefined, undefined, { timeout: 30_000 });
  const charts = await page.evaluate(() => {
    const chartOf = (canvas: HTMLCanvasElement) =>
      (
        window as unknown as {
          Chart: {
            getChart(c: HTMLCanvasElement):
              | {
                  config: { type: string };
                  data: { datasets: { data: unknown[] }[] };
                  options: { scales: Record<string, { title?: { display?: boolean; text?: string } }> };
                }
              | undefined;
          };
        }
      ).Chart.getChart(canvas);
    return [...document.querySelectorAll('canvas')].map((canvas) => {
      const chart = chartOf(canvas);
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] === 0) continue;
        inked++;
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      return {
        id: canvas.id,
        caption: canvas.getAttribute('aria-label') ?? '',
        type: chart?.config.type ?? 'none',
        points: chart ? chart.data.datasets.reduce((sum, d) => sum + d.data.filter((v) => v !== null).length, 0) : 0,
        axisTitles: chart
          ? Object.values(chart.options.scales)
              .filter((s) => s.title?.display)
              .map((s) => s.title!.text ?? '')
          : [],
        inked,
        colours: colours.size,
        width: canvas.width,
        height: canvas.height,
      };
    });
  });
  const text = await page.locator('body').innerText();
  const drawn = Number(await page.evaluate(() => document.body.dataset.chartsDrawn));
  await page.screenshot({ path: join(dir, name.replace('.html', '.png')), fullPage: true });
  await page.close();
  return { charts: charts as (Drawn & { width: number; height: number })[], text, drawn, problems, requested, url: pathToFileURL(file).href };
}

function expectEveryChartDrawn(report: Awaited<ReturnType<typeof open>>) {
  expect(report.problems).toEqual([]);
  expect(report.requested).toEqual([report.url]); // nothing but the file itself: no CDN, no fonts, no source map
  expect(report.charts.length).toBeGreaterThan(0);
  expect(report.drawn).toBe(report.charts.length);
  for (const chart of report.charts) {
    expect(chart.type, chart.caption).not.toBe('none');
    expect(chart.points, chart.caption).toBeGreaterThan(0);
    expect(chart.width * chart.height, chart.caption).toBeGreaterThan(100_000);
    // Axes, grid, labels and data: a good share of the canvas inked, in several colours.
    expect(chart.inked / (chart.width * chart.height), chart.caption).toBeGreaterThan(0.01);
    expect(chart.colours, chart.caption).toBeGreaterThan(5);
    expect(chart.axisTitles.length, chart.caption).toBeGreaterThanOrEqual(2);
    for (const title of chart.axisTitles) expect(title, chart.caption).not.toBe('');
  }
}

describe('the HTML reports in headless Chromium, from recorded runs', () => {
  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: run scripts/lib/ensure-chromium.sh`);
    dir = mkdtempSync(join(tmpdir(), 'reports-'));
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the load test: latency over time with p50/p95/p99, a histogram in ms, throughput and in flight, the floor, the invariants', async () => {
    const report = await open(loadReportHtml(load), 'load.html');
    expectEveryChartDrawn(report);
    const captions = report.charts.map((c) => c.caption);
    expect(captions).toEqual([
      expect.stringMatching(/^Latency over time/),
      expect.stringMatching(/^Latency histogram/),
      expect.stringMatching(/^Throughput and orders in flight/),
    ]);
    const [overTime, histogram, flow] = report.charts;
    expect(overTime.axisTitles).toEqual(['send time (s after the first order)', 'send → end of saga (ms)']);
    expect(histogram.axisTitles).toEqual(['send → end of saga (ms)', 'orders']);
    expect(flow.axisTitles).toEqual(['time (s after the first order)', 'orders per second', 'orders in flight']);
    expect(report.text).toContain('Kafka: produce (acks=all) → consume');
    expect(report.text).toMatch(/CONFIRMED saga p50 .* × the Kafka round trip/);
    for (const invariant of load.invariants) expect(report.text).toContain(`${invariant.pass ? 'PASS' : 'FAIL'} ${invariant.name}`);
    expect(report.text).toContain('PASS all invariants hold');
  });

  it('bench:saga beside Restate: each phase, the sweeps, the cost per saga, with ratios', async () => {
    const report = await open(sagaBenchReportHtml(bench, readRestateSummary(restateLog)), 'bench.html');
    expectEveryChartDrawn(report);
    const captions = report.charts.map((c) => c.caption);
    for (const expected of [
      'a sequential: latency beside Restate',
      'b concurrent: throughput beside Restate',
      'c-hot: achieved rate against offered rate',
      'c-hot: p50 and p99 per offered rate (log scale)',
      'c-mix: every order by its send time, step after step (log scale)',
      'CPU ms per saga by process, ours beside Restate',
    ]) {
      expect(captions).toContain(expected);
    }
    expect(report.text).toMatch(/ours ÷ Restate/);
    expect(report.text).toContain('Restate: ingress → no-op handler → reply');
  });

  it('bench:saga alone: no Restate anywhere', async () => {
    const report = await open(sagaBenchReportHtml(bench), 'bench-alone.html');
    expectEveryChartDrawn(report);
    expect(report.text).not.toContain('Restate');
  });
});
