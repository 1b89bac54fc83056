import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetricName, type MetricNameValue } from '../../../lambda/contracts/metrics';
import { SimTelemetry } from '../../../lambda/sim/strategies/sim-telemetry';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

/** Emits each [minutes after 10:00, metric, dimensions] at its time and returns the telemetry. */
const emit = (points: readonly (readonly [number, string, Readonly<Record<string, string>> | undefined])[]): SimTelemetry => {
  let now = T0;
  const t = new SimTelemetry({ now: () => now });
  for (const [minutes, name, dims] of points) {
    now = T0 + minutes * 60_000;
    t.metrics.metric(name as MetricNameValue, 'Count', 1, dims);
  }
  return t;
};

describe('SimTelemetry: the metric-hours CloudWatch bills', () => {
  it.each([
    ['nothing emitted', [], 0, 0],
    [
      'one metric, many points in one hour',
      [
        [1, MetricName.actionFailures, undefined],
        [30, MetricName.actionFailures, undefined],
        [59, MetricName.actionFailures, undefined],
      ],
      1,
      1,
    ],
    [
      'one metric in two clock hours',
      [
        [59, MetricName.actionFailures, undefined],
        [61, MetricName.actionFailures, undefined],
      ],
      1,
      2,
    ],
    [
      'one metric, hours apart (only the hours it sent in)',
      [
        [0, MetricName.actionFailures, undefined],
        [5 * 60, MetricName.actionFailures, undefined],
      ],
      1,
      2,
    ],
    [
      'two names in one hour',
      [
        [1, MetricName.actionFailures, undefined],
        [2, MetricName.reservationRefusals, undefined],
      ],
      2,
      2,
    ],
    [
      'one name, two dimension values',
      [
        [1, MetricName.profileAgeSeconds, { GroupName: 'web' }],
        [2, MetricName.profileAgeSeconds, { GroupName: 'batch' }],
      ],
      2,
      2,
    ],
    [
      'dimensions in either order are one metric',
      [
        [1, MetricName.profileAgeSeconds, { GroupName: 'web', Kind: 'a' }],
        [2, MetricName.profileAgeSeconds, { Kind: 'a', GroupName: 'web' }],
      ],
      1,
      1,
    ],
    [
      'without dimensions and with them: two metrics',
      [
        [1, MetricName.profileAgeSeconds, undefined],
        [2, MetricName.profileAgeSeconds, { GroupName: 'web' }],
      ],
      2,
      2,
    ],
  ] as const)('%s: %i distinct, %i metric-hours', (_label, points, distinct, hours) => {
    const t = emit(points);
    expect(t.distinctMetrics()).toBe(distinct);
    expect(t.metricHours()).toBe(hours);
  });

  it('still sums values by name for the report', () => {
    const t = emit([
      [1, MetricName.actionFailures, undefined],
      [2 * 60, MetricName.actionFailures, { GroupName: 'web' }],
    ]);
    expect(t.metricTotals.get(MetricName.actionFailures)).toBe(2);
  });
});

describe('SimTelemetry: metric-hours, any emission sequence', () => {
  const names = [MetricName.actionFailures, MetricName.reservationRefusals, MetricName.profileAgeSeconds] as const;
  const point = fc.record({
    minute: fc.integer({ min: 0, max: 48 * 60 }),
    name: fc.constantFrom(...names),
    group: fc.option(fc.constantFrom('web', 'batch'), { nil: undefined }),
  });

  it('counts each metric once per clock hour it sent in: between the distinct metrics and distinct × hours touched', () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 200 }), (points) => {
        const t = emit(points.map((p) => [p.minute, p.name, p.group === undefined ? undefined : { GroupName: p.group }] as const));
        const keyOf = (p: (typeof points)[number]) => `${p.name}|${p.group ?? ''}`;
        const distinct = new Set(points.map(keyOf));
        const pairs = new Set(points.map((p) => `${keyOf(p)}@${Math.floor(p.minute / 60)}`));
        expect(t.distinctMetrics()).toBe(distinct.size);
        expect(t.metricHours()).toBe(pairs.size);
        const hours = new Set(points.map((p) => Math.floor(p.minute / 60)));
        expect(t.metricHours()).toBeGreaterThanOrEqual(distinct.size);
        expect(t.metricHours()).toBeLessThanOrEqual(distinct.size * hours.size);
      }),
    );
  });
});
