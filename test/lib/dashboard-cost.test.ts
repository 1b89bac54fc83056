import { describe, expect, it } from 'vitest';
import { synthSpotwise } from './helpers';

interface Widget {
  readonly properties: { readonly title?: string; readonly metrics?: unknown[][] };
}

const widgetsOf = (): Widget[] => {
  const [dashboard] = Object.values(synthSpotwise().template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, (string | { Ref: string })[]] };
  return (JSON.parse(body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'REGION')).join('')) as { widgets: Widget[] }).widgets;
};

/** Each series as [expression, label, yAxis]. */
const series = (widgets: Widget[], title: string): [string, string | undefined, string][] => {
  const found = widgets.filter((w) => w.properties.title === title);
  expect(found, title).toHaveLength(1);
  return (found[0]?.properties.metrics ?? []).map((m) => {
    const o = m[0] as { expression: string; label?: string; yAxis?: string };
    return [o.expression, o.label, o.yAxis ?? 'left'];
  });
};

const total = (metric: string, stat: string) => `SUM(SEARCH('{Spotwise,service,GroupName} MetricName="${metric}" service="spotwise"', '${stat}', 300))`;

describe("SpotwiseDashboard: savings and spotwise's own cost", () => {
  const widgets = widgetsOf();

  it("charts the fleet's On-Demand equivalent, its estimated cost and the savings between them", () => {
    const od = total('OnDemandEquivalentHourlyCost', 'Average');
    const est = total('EstimatedHourlyCost', 'Average');
    expect(series(widgets, 'Spot savings vs On-Demand, all groups (USD per hour)')).toEqual([
      [od, 'On-Demand equivalent', 'left'],
      [est, 'estimated (Spot at Spot prices)', 'left'],
      [`${od} - ${est}`, 'savings', 'left'],
    ]);
  });

  it('charts both per group', () => {
    expect(series(widgets, 'Estimated vs On-Demand equivalent hourly cost, by group (USD)')).toEqual([
      ['SEARCH(\'{Spotwise,service,GroupName} MetricName="EstimatedHourlyCost" service="spotwise"\', \'Average\', 300)', undefined, 'left'],
      ['SEARCH(\'{Spotwise,service,GroupName} MetricName="OnDemandEquivalentHourlyCost" service="spotwise"\', \'Average\', 300)', undefined, 'right'],
    ]);
  });

  it("charts spotwise's overhead: standby instance hours and metric reads", () => {
    expect(series(widgets, "spotwise's own cost: standby instances (USD per hour), metric reads (USD per period)")).toEqual([
      [total('StandbyHourlyCost', 'Average'), 'standby instances', 'left'],
      [total('MetricReadCostUsd', 'Sum'), 'GetMetricData reads', 'right'],
    ]);
  });
});
