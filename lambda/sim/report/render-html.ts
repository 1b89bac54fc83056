import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SimulationResult } from '../simulate';
import { renderRunDescription, renderTable, type RunSources } from './render-table';
import { interruptionEpisodes } from './summarize';

const require = createRequire(import.meta.url);

/** uPlot's minified browser build and stylesheet, inlined so the report opens offline (uPlot is MIT). */
export const readUplotAssets = (): { js: string; css: string } => ({
  js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
  css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
});

/** JSON that is safe inside a <script> element (no "</script>", no HTML comment openers). */
export const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The chart data the page draws, per strategy (hours since the start on the x axis): the first seed's runs. */
export const chartData = (result: SimulationResult) => {
  const start = result.setup.sample.startAt;
  const hours = (at: number): number => Math.round(((at - start) / 3_600_000) * 1000) / 1000;
  return result.chartRuns.map((run) => {
    let cumulative = 0;
    return {
      name: run.name,
      description: run.description,
      timeline: {
        x: run.timeline.map((p) => hours(p.at)),
        demand: run.timeline.map((p) => round2(p.demandVcpu / Math.max(1, p.samples))),
        capacity: run.timeline.map((p) => round2(p.capacityVcpu / Math.max(1, p.samples))),
        unserved: run.timeline.map((p) => round2(p.unservedVcpu / Math.max(1, p.samples))),
        cost: run.timeline.map((p) => {
          cumulative += p.costUsd;
          return round2(cumulative);
        }),
      },
      interruptions: interruptionEpisodes(run).map((e) => ({
        at: hours(e.start),
        unservedVcpuMinutes: round2(e.unservedVcpuMinutes),
        unservedGibMinutes: round2(e.unservedGibMinutes),
        kind: e.kind,
      })),
    };
  });
};

/**
 * The cost–availability chart's data, aligned for uPlot: x = mean cost (USD), one series per knob strategy's
 * frontier (a line through its knob values) and one per strategy's comparison run (a point), y = mean
 * availability in %. Each series has values only at its own costs (null elsewhere; lines span the gaps).
 */
export const frontierChartData = (result: SimulationResult) => {
  const lines = Object.entries(result.frontier ?? {}).map(([name, points]) => ({
    label: `${name} frontier`,
    kind: 'line' as const,
    points: points.map((p) => ({ x: round2(p.cost), y: round4(p.availability * 100), knob: p.knob })),
  }));
  const dots = Object.entries(result.summary).map(([name, s]) => {
    const cost = s.mean.cost;
    const availability = s.mean.availability;
    return {
      label: name,
      kind: 'point' as const,
      points:
        typeof cost === 'number' && typeof availability === 'number'
          ? [{ x: round2(cost), y: round4(availability * 100), knob: typeof s.mean.knob === 'number' ? s.mean.knob : null }]
          : [],
    };
  });
  const series = [...lines, ...dots];
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  return {
    x: xs,
    series: series.map((s) => {
      const at = new Map(s.points.map((p) => [p.x, p.y]));
      return { label: s.label, kind: s.kind, y: xs.map((x) => at.get(x) ?? null) };
    }),
    seeds: result.seeds.length,
  };
};

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const round2 = (x: number): number => Math.round(x * 100) / 100;

const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById('sim-data').textContent);
const frontier = JSON.parse(document.getElementById('frontier-data').textContent);
const palette = ['#6b7280', '#d97706', '#2563eb', '#059669', '#9333ea', '#dc2626', '#0891b2', '#4d7c0f'];
const width = () => Math.min(1100, document.body.clientWidth - 40);
const charts = document.getElementById('charts');
function section(title, note) {
  const h = document.createElement('h2'); h.textContent = title; charts.appendChild(h);
  if (note) { const p = document.createElement('p'); p.className = 'note'; p.textContent = note; charts.appendChild(p); }
  const div = document.createElement('div'); charts.appendChild(div); return div;
}
(function frontierChart() {
  if (frontier.x.length === 0) return;
  const el = section('Cost vs availability' + (frontier.seeds > 1 ? ' (means over ' + frontier.seeds + ' seeds)' : ''),
    'Each knob baseline a line through its knob values (with --sweep), each strategy a point at its default knob. Up and to the left is better: more demand served for less money.');
  const colour = new Map();
  frontier.series.forEach((s) => { const base = s.label.replace(/ frontier$/, ''); if (!colour.has(base)) colour.set(base, palette[colour.size % palette.length]); });
  new uPlot({
    width: width(), height: 380,
    // Pad both axes so points at the ends of the range are drawn whole.
    scales: {
      x: { time: false, range: (u, min, max) => { const pad = Math.max((max - min) * 0.05, 0.5); return [min - pad, max + pad]; } },
      y: { range: (u, min, max) => { const pad = Math.max((max - min) * 0.08, 0.005); return [min - pad, max + pad]; } },
    },
    axes: [{ label: 'cost, USD' }, { label: 'availability, % of demanded vCPU·min served', size: 70 }],
    series: [{ label: 'cost $' }, ...frontier.series.map((s) => {
      const c = colour.get(s.label.replace(/ frontier$/, ''));
      return s.kind === 'line'
        ? { label: s.label, stroke: c, width: 2, spanGaps: true, points: { show: true, size: 5, fill: c } }
        : { label: s.label, stroke: c, paths: () => null, points: { show: true, size: 11, fill: c } };
    })],
  }, [frontier.x, ...frontier.series.map((s) => s.y)], el);
})();
data.forEach((s, i) => {
  const el = section('Demand vs serving capacity — ' + s.name, s.description);
  new uPlot({
    width: width(), height: 260,
    scales: { x: { time: false } },
    axes: [{ label: 'hours' }, { label: 'vCPU' }],
    series: [
      { label: 'hour' },
      { label: 'demand', stroke: '#111827', width: 1 },
      { label: 'serving capacity', stroke: palette[i % palette.length], width: 1 },
      { label: 'unserved', stroke: '#dc2626', fill: 'rgba(220,38,38,0.25)', width: 1 },
    ],
  }, [s.timeline.x, s.timeline.demand, s.timeline.capacity, s.timeline.unserved], el);
});
(function interruptions() {
  if (data.length === 0) return;
  const el = section('Unserved demand per interruption', 'One point per interrupted workload (Spot reclaim or priority request), at the time it was hit' + (frontier.seeds > 1 ? ', on the first seed.' : '.'));
  const xs = [...new Set(data.flatMap((s) => s.interruptions.map((e) => e.at)))].sort((a, b) => a - b);
  const series = data.map((s) => {
    const byAt = new Map();
    s.interruptions.forEach((e) => byAt.set(e.at, (byAt.get(e.at) || 0) + e.unservedVcpuMinutes));
    return xs.map((x) => (byAt.has(x) ? byAt.get(x) : null));
  });
  new uPlot({
    width: width(), height: 300,
    scales: { x: { time: false } },
    axes: [{ label: 'hours' }, { label: 'unserved vCPU·min' }],
    series: [{ label: 'hour' }, ...data.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], paths: () => null, points: { show: true, size: 7, fill: palette[i % palette.length] } }))],
  }, [xs, ...series], el);
})();
(function cost() {
  const el = section('Cost (cumulative, USD)', 'Spot and On-Demand hours at the bundled prices; stopped warm-pool instances at storage cost.');
  const base = data[0];
  if (!base) return;
  new uPlot({
    width: width(), height: 280,
    scales: { x: { time: false } },
    axes: [{ label: 'hours' }, { label: 'USD' }],
    series: [{ label: 'hour' }, ...data.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], width: 2 }))],
  }, [base.timeline.x, ...data.map((s) => s.timeline.cost)], el);
})();
`;

/** The self-contained HTML report: summary table, run description, and the charts (uPlot inlined). */
export const renderHtml = (
  result: SimulationResult,
  assets: { js: string; css: string } = readUplotAssets(),
  sources: RunSources = {},
): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>spotwise simulation — ${result.seeds.length === 1 ? `seed ${result.seeds[0]}` : `seeds ${result.seeds.join(', ')}`}</title>
<style>${assets.css}</style>
<style>
body { font-family: system-ui, sans-serif; margin: 20px; color: #111827; }
pre { background: #f3f4f6; padding: 12px; overflow-x: auto; font-size: 13px; }
.note { color: #4b5563; font-size: 14px; margin-top: -6px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
</style>
</head>
<body>
<h1>spotwise simulation</h1>
<pre>${escapeHtml(renderRunDescription(result, sources))}</pre>
<h2>Summary</h2>
<pre>${escapeHtml(renderTable(result))}</pre>
<p class="note">Unserved demand: vCPU and GiB a workload needed while its serving capacity was smaller (an outage, or a restart on an instance too small for its post-restart peak). Availability: served ÷ demanded vCPU·min. Recovery: from an episode's start to the end of the last unserved minute it caused. The timelines below show the first seed.</p>
<div id="charts"></div>
<script id="sim-data" type="application/json">${scriptJson(chartData(result))}</script>
<script id="frontier-data" type="application/json">${scriptJson(frontierChartData(result))}</script>
<script>${assets.js}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
