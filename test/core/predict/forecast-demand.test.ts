import { describe, expect, it } from 'vitest';
import { instanceId, type Forecast } from '../../../lambda/core/domain';
import { forecastDemand } from '../../../lambda/core/predict/forecast-demand';

const known: Forecast = {
  kind: 'known',
  instanceId: instanceId('i-1'),
  madeAt: 0,
  downtimeSeconds: 120,
  windowMinutes: 30,
  dims: {
    vcpu: { p50: 1, p90: 2, basis: 'default', confidence: 0.3 },
    memoryGiB: { p50: 3, p90: 4, basis: 'job-type', confidence: 0.5 },
    networkMbps: { p50: 5, p90: 6, basis: 'instance-history', confidence: 0.8 },
    diskIops: { p50: 7, p90: 8, basis: 'model', confidence: 0.9 },
  },
};

describe('forecastDemand', () => {
  it.each([
    ['p50', { vcpu: 1, memoryGiB: 3, networkMbps: 5, diskIops: 7 }],
    ['p90', { vcpu: 2, memoryGiB: 4, networkMbps: 6, diskIops: 8 }],
  ] as const)('reads the %s of every dimension', (q, expected) => {
    expect(forecastDemand(known, q)).toEqual(expected);
  });

  it('returns undefined for an unknown forecast (never a zero demand)', () => {
    const unknown: Forecast = { kind: 'unknown', instanceId: instanceId('i-1'), madeAt: 0, reason: 'no data', missing: ['memoryGiB'] };
    expect(forecastDemand(unknown, 'p90')).toBeUndefined();
  });
});
