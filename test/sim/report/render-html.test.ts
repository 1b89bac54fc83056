import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_DATA_DIR } from '../../../lambda/sim/bundled-data';
import { frontierChartData, renderHtml } from '../../../lambda/sim/report/render-html';
import { runSimulation, type SimulationResult } from '../../../lambda/sim/simulate';
import { loadTraces } from '../../../lambda/data/traces/load-traces';

let swept: SimulationResult;
beforeAll(async () => {
  swept = await runSimulation({
    seeds: [1, 2],
    hours: 1,
    instances: 6,
    traces: loadTraces(BUNDLED_DATA_DIR),
    predictor: 'fallback',
    workers: 0,
    sweep: true,
    strategies: ['none', 'static-headroom', 'spotwise'],
    interruption: { rateScale: 600 },
  });
}, 120_000);

describe('frontierChartData', () => {
  it("aligns every series on one cost axis: a line per knob strategy's frontier, a point per strategy, null elsewhere", () => {
    const d = frontierChartData(swept);
    expect(d.seeds).toBe(2);
    expect(d.series.map((s) => [s.label, s.kind])).toEqual([
      ['static-headroom frontier', 'line'],
      ['none', 'point'],
      ['static-headroom', 'point'],
      ['spotwise', 'point'],
    ]);
    expect([...d.x].sort((a, b) => a - b)).toEqual(d.x);
    for (const s of d.series) expect(s.y).toHaveLength(d.x.length);
    const line = d.series[0]!;
    expect(line.y.filter((y) => y !== null)).toHaveLength(swept.frontier!['static-headroom']!.length);
    const spotwise = d.series[3]!;
    const at = d.x.indexOf(Math.round((swept.summary.spotwise!.mean.cost as number) * 100) / 100);
    expect(spotwise.y[at]).toBeCloseTo((swept.summary.spotwise!.mean.availability as number) * 100, 3);
    expect(spotwise.y.filter((y) => y !== null)).toHaveLength(1);
  });
});

describe('renderHtml', () => {
  it('is one self-contained page with the frontier chart, the timelines of the first seed and the table', () => {
    const html = renderHtml(swept, { js: '/*uPlot*/', css: '/*css*/' });
    expect(html).toContain('<title>spotwise simulation — seeds 1, 2</title>');
    expect(html).toContain('id="frontier-data"');
    expect(html).toContain('Cost vs availability');
    expect(html).toContain('static-headroom frontier');
    expect(html).toContain('worst: seed');
    expect(html).not.toMatch(/<script[^>]+src=/);
    const data = JSON.parse(/<script id="sim-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!) as { name: string }[];
    expect(data.map((d) => d.name)).toEqual(['none', 'static-headroom', 'spotwise']);
  });
});
