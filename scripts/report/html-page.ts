import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ChartConfig } from './charts.ts';

/**
 * A report page: one HTML file with Chart.js inlined from node_modules and each chart's
 * configuration as JSON beside it, so it opens offline, from a mail attachment or a CI artifact.
 * Its Content-Security-Policy lets it load nothing at all.
 */
export interface ReportPage {
  /** A chart's place in the page; its configuration goes into the page's chart list. */
  chart(caption: string, config: ChartConfig, size?: 'wide' | 'half'): string;
  render(title: string, intro: string, body: string): string;
}

export function reportPage(): ReportPage {
  const charts: { id: string; config: ChartConfig }[] = [];
  return {
    chart(caption, config, size = 'wide') {
      const id = `chart-${charts.length + 1}`;
      charts.push({ id, config });
      return `<figure class="${size}"><div class="plot"><canvas id="${id}" role="img" aria-label="${escapeHtml(caption)}"></canvas></div><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
    },
    render(title, intro, body) {
      return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${intro}
${body}
<script>${chartLibrary()}</script>
<script type="application/json" id="chart-specs">${jsonForScript(charts)}</script>
<script>${drawCharts}</script>
</body>
</html>
`;
    },
  };
}

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot close the script element it sits in. */
const jsonForScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** A table cell: text (escaped) or markup made here (a badge). */
export type Cell = string | number | { html: string };

export interface Column<T> {
  title: string;
  cell: (row: T) => Cell;
  /** Numbers right-aligned. */
  numeric?: boolean;
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[], caption?: string): string {
  const head = columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.title)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${columns.map((c) => `<td${c.numeric ? ' class="num"' : ''}>${cellHtml(c.cell(row))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const cellHtml = (value: Cell) => (typeof value === 'object' ? value.html : escapeHtml(value));

/** PASS / FAIL as a coloured badge. */
export const badge = (pass: boolean) => ({ html: `<span class="badge ${pass ? 'pass' : 'fail'}">${pass ? 'PASS' : 'FAIL'}</span>` });

/** The invariants as a list, each with its badge. */
export function invariantList(invariants: readonly { name: string; pass: boolean; detail: string }[]): string {
  const items = invariants
    .map(
      (i) =>
        `<li class="${i.pass ? 'pass' : 'fail'}">${badge(i.pass).html} ${escapeHtml(i.name)} <span class="detail">— ${escapeHtml(i.detail)}</span></li>`,
    )
    .join('\n');
  return `<ul class="invariants">\n${items}\n</ul>`;
}

export const fixed = (value: number | null | undefined, digits = 1) =>
  typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

let library: string | undefined;
/** Chart.js's UMD build, read once from node_modules (without its source-map comment: nothing to fetch). */
function chartLibrary(): string {
  if (library === undefined) {
    const main = createRequire(import.meta.url).resolve('chart.js');
    library = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8')
      .replace(/\/\/# sourceMappingURL=\S+\s*$/, '')
      .replace(/<\/script/gi, '<\\/script');
  }
  return library;
}

// In the page: the percentile and floor marks (dashed lines with a label), then every chart, drawn once (no animation).
const drawCharts = `(() => {
  const marks = {
    id: 'marks',
    afterDatasetsDraw(chart, _args, options) {
      const { ctx, chartArea } = chart;
      ctx.save();
      (options.lines || []).forEach((line, index) => {
        const scale = chart.scales[line.axis === 'y' ? 'y' : 'x'];
        const at = scale.getPixelForValue(line.value);
        const vertical = line.axis !== 'y';
        if (!Number.isFinite(at) || (vertical ? at < chartArea.left || at > chartArea.right : at < chartArea.top || at > chartArea.bottom)) return;
        ctx.strokeStyle = line.color;
        ctx.fillStyle = line.color;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        if (vertical) { ctx.moveTo(at, chartArea.top); ctx.lineTo(at, chartArea.bottom); }
        else { ctx.moveTo(chartArea.left, at); ctx.lineTo(chartArea.right, at); }
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.font = '12px system-ui, sans-serif';
        const width = ctx.measureText(line.label).width;
        // Beside its line, on the side with room for it; one row per mark so that close marks stay readable.
        const [tx, ty] = vertical ? [at + 4 + width > chartArea.right ? at - 4 - width : at + 4, chartArea.top + 14 + 15 * index] : [chartArea.left + 6, at - 4];
        ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
        ctx.fillRect(tx - 2, ty - 11, width + 4, 14);
        ctx.fillStyle = line.color;
        ctx.fillText(line.label, tx, ty);
      });
      ctx.restore();
    },
  };
  Chart.register(marks);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  const specs = JSON.parse(document.getElementById('chart-specs').textContent);
  for (const spec of specs) new Chart(document.getElementById(spec.id), spec.config);
  document.body.dataset.chartsDrawn = String(specs.length);
})();`;

const css = `
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1280px; padding: 0 16px; color: #1d2433; }
h1 { font-size: 1.6rem; margin-bottom: 4px; }
h2 { font-size: 1.25rem; margin-top: 36px; border-bottom: 1px solid #d6dae3; padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin-top: 24px; }
p.lead { color: #4a5266; margin-top: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; flex: 1 1 100%; min-width: 0; }
figure.half { flex: 1 1 calc(50% - 8px); }
@media (max-width: 900px) { figure.half { flex-basis: 100%; } }
.plot { position: relative; height: 340px; }
figcaption { font-size: 0.85rem; color: #4a5266; text-align: center; margin-top: 4px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 0.88rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { border: 1px solid #d6dae3; padding: 4px 8px; text-align: left; }
th { background: #f2f4f8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; min-width: 3.2em; text-align: center; border-radius: 4px; padding: 0 6px; font-weight: 700; font-size: 0.8rem; color: #fff; }
.badge.pass { background: #1f8a4c; }
.badge.fail { background: #c62828; }
ul.invariants { list-style: none; padding: 0; }
ul.invariants li { margin: 4px 0; }
.detail { color: #4a5266; font-size: 0.88rem; }
.verdict { font-size: 1.1rem; font-weight: 700; }
.note { color: #4a5266; font-size: 0.88rem; }
`;
