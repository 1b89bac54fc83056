import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AWS_PRICES, DETAILED_MONITORING_METRICS_PER_INSTANCE, NO_SOFTWARE, priceSoftware } from '../../lambda/sim/aws-bill';

describe('priceSoftware', () => {
  it('prices nothing at zero', () => {
    expect(priceSoftware(NO_SOFTWARE)).toEqual({
      lambda: 0,
      dynamodb: 0,
      eventbridge: 0,
      scheduler: 0,
      cloudwatchReads: 0,
      agentMetrics: 0,
      detailedMonitoring: 0,
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
  ] as const)('%s', (_label, usage, item, usd) => {
    const bill = priceSoftware({ ...NO_SOFTWARE, ...usage });
    expect(bill[item]).toBeCloseTo(usd, 9);
    expect(bill.total).toBeCloseTo(usd, 9);
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
        });
        const { total, ...items } = bill;
        const sum = Object.values(items).reduce((a, b) => a + b, 0);
        expect(total).toBeCloseTo(sum, 6);
        expect(bill.detailedMonitoring).toBeCloseTo((bill.agentMetrics * 7) / 2, 6);
      }),
    );
  });
});
