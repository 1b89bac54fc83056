import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGENT_PUT_REQUESTS_PER_INSTANCE_HOUR,
  AWS_PRICES,
  DETAILED_MONITORING_METRICS_PER_INSTANCE,
  NO_SOFTWARE,
  priceSoftware,
  spotwiseAlarmCount,
} from '../../lambda/sim/aws-bill';

describe('priceSoftware', () => {
  it('prices nothing at zero', () => {
    expect(priceSoftware(NO_SOFTWARE)).toEqual({
      lambda: 0,
      dynamodb: 0,
      eventbridge: 0,
      scheduler: 0,
      cloudwatchReads: 0,
      agentMetrics: 0,
      agentRequests: 0,
      detailedMonitoring: 0,
      ownMetrics: 0,
      dashboards: 0,
      alarms: 0,
      total: 0,
    });
  });

  // A month of one instance (730 h): the list prices per metric-month.
  it.each([
    ['the agent, 2 metrics', { agentInstanceHours: 730, agentMetricsPerInstance: 2 }, 'agentMetrics', 0.6],
    ['detailed monitoring, 7 metrics', { detailedMonitoringInstanceHours: 730 }, 'detailedMonitoring', 2.1],
    ['detailed monitoring, 40 instances for 48 h', { detailedMonitoringInstanceHours: 40 * 48 }, 'detailedMonitoring', (40 * 48 * 7 * 0.3) / 730],
    ['GetMetricData, 1,000 metrics', { metricsRequested: 1000 }, 'cloudwatchReads', 0.01],
    ['DynamoDB, a million writes', { dynamoWrites: 1e6 }, 'dynamodb', 0.625],
    ["the strategy's own metrics, 75 for a month", { ownMetricHours: 75 * 730 }, 'ownMetrics', 22.5],
    ["the strategy's own metrics, 75 for 48 h", { ownMetricHours: 75 * 48 }, 'ownMetrics', (75 * 48 * 0.3) / 730],
    ['a dashboard for a month', { dashboardHours: 730 }, 'dashboards', 3],
    ['a dashboard for 48 h', { dashboardHours: 48 }, 'dashboards', (48 * 3) / 730],
    ['18 alarms for a month', { alarmHours: 18 * 730 }, 'alarms', 1.8],
    ['18 alarms for a week', { alarmHours: 18 * 168 }, 'alarms', (18 * 168 * 0.1) / 730],
  ] as const)('%s', (_label, usage, item, usd) => {
    const bill = priceSoftware({ ...NO_SOFTWARE, ...usage });
    expect(bill[item]).toBeCloseTo(usd, 9);
    // The agent's metrics come with its PutMetricData requests (below); every other item stands alone.
    expect(bill.total - bill.agentRequests).toBeCloseTo(usd, 9);
  });

  it("bills the agent's PutMetricData requests: one a minute per instance at $0.01 per 1,000, whatever its metric count", () => {
    expect(AGENT_PUT_REQUESTS_PER_INSTANCE_HOUR).toBe(60);
    const month = (metrics: number) => priceSoftware({ ...NO_SOFTWARE, agentInstanceHours: 730, agentMetricsPerInstance: metrics });
    // 730 h × 60 requests = 43,800 requests: $0.438 a month.
    expect(month(3).agentRequests).toBeCloseTo(0.438, 9);
    expect(month(2).agentRequests).toBeCloseTo(0.438, 9);
    expect(month(3).total).toBeCloseTo(0.9 + 0.438, 9);
    // No agent metric, no request (an instance without the agent).
    expect(month(0).agentRequests).toBe(0);
  });

  it('bills detailed monitoring at the custom-metric rate, seven metrics per instance', () => {
    expect(DETAILED_MONITORING_METRICS_PER_INSTANCE).toBe(7);
    expect(AWS_PRICES.customMetricMonthUsd).toBe(0.3);
  });

  it('names the field and the value of a count that is not a finite number ≥ 0', () => {
    expect(() => priceSoftware({ ...NO_SOFTWARE, detailedMonitoringInstanceHours: Number.NaN })).toThrow(
      'pricing software usage: detailedMonitoringInstanceHours must be a finite number ≥ 0 (got NaN)',
    );
    expect(() => priceSoftware({ ...NO_SOFTWARE, agentInstanceHours: -1 })).toThrow('agentInstanceHours must be a finite number ≥ 0 (got -1)');
    expect(() => priceSoftware({ ...NO_SOFTWARE, ownMetricHours: Number.POSITIVE_INFINITY })).toThrow(
      'ownMetricHours must be a finite number ≥ 0 (got Infinity)',
    );
    expect(() => priceSoftware({ ...NO_SOFTWARE, alarmHours: -0.5 })).toThrow('alarmHours must be a finite number ≥ 0 (got -0.5)');
    expect(() => priceSoftware({ ...NO_SOFTWARE, dashboardHours: Number.NaN })).toThrow('dashboardHours must be a finite number ≥ 0 (got NaN)');
  });

  it('totals its items', () => {
    const count = fc.double({ min: 0, max: 1e7, noNaN: true });
    fc.assert(
      fc.property(count, count, count, count, count, (hours, reads, writes, metrics, events) => {
        const bill = priceSoftware({
          ...NO_SOFTWARE,
          invocations: [{ fn: 'profiler', count: events, memoryMb: 1024 }],
          dynamoReads: reads,
          dynamoWrites: writes,
          eventsPublished: events,
          metricsRequested: metrics,
          agentInstanceHours: hours,
          agentMetricsPerInstance: 2,
          detailedMonitoringInstanceHours: hours,
          ownMetricHours: metrics,
          dashboardHours: hours,
          alarmHours: reads,
        });
        const { total, ...items } = bill;
        const sum = Object.values(items).reduce((a, b) => a + b, 0);
        expect(total).toBeCloseTo(sum, 6);
        expect(bill.detailedMonitoring).toBeCloseTo((bill.agentMetrics * 7) / 2, 6);
      }),
    );
  });
});

describe('spotwiseAlarmCount', () => {
  it.each([
    [5, 2, 18],
    [5, 1, 16],
    [5, 0, 14],
    [5, 3, 20],
  ])('%i functions, %i primary groups: %i alarms', (functions, groups, alarms) => {
    expect(spotwiseAlarmCount(functions, groups)).toBe(alarms);
  });
});
