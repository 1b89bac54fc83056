import { describe, expect, it } from 'vitest';
import { instanceId } from '../../../lambda/core/domain';
import { SimMetricsReader } from '../../../lambda/sim/engine/sim-metrics-reader';

describe('SimMetricsReader', () => {
  it('hides a CloudWatch datapoint until 1–3 minutes after its minute', async () => {
    let now = 0;
    const reader = new SimMetricsReader(180, () => now);
    const id = instanceId('i-0aaaaaaaaaaaaaaaa');
    reader.record(id, { at: 0, cpuPercent: 10, cpuMaxPercent: 10, networkMbps: 0, diskIops: 0 });
    const read = async () =>
      (await reader.read([{ instanceId: id, instanceType: 'm5.large', vcpus: 2, memoryGiB: 8, agent: false }], { start: -60_000, end: 60_000 })).samples.get(
        id,
      )!.length;
    now = 60_000 + 59_999;
    expect(await read()).toBe(0);
    now = SimMetricsReader.availableAt(id, 0);
    expect(await read()).toBe(1);
    expect(now).toBeGreaterThanOrEqual(120_000);
    expect(now).toBeLessThanOrEqual(240_000);
  });
});
