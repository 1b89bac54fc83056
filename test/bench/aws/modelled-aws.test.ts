import { describe, expect, it } from 'vitest';
import { AWS_LATENCY_MS, isMutating, LatencyModel } from '../../../bench/aws/aws-latency';
import { ModelledAws, modelStateStore, type ModelledCall } from '../../../bench/aws/modelled-aws';
import { VirtualTime } from '../../../bench/aws/virtual-time';
import { isActionCall, summarizeNotice } from '../../../bench/notice-modelled';
import { groupId, instanceId, type Forecast } from '../../../lambda/core/domain';
import { createInMemoryPorts } from '../../../lambda/sim/memory';

describe('LatencyModel', () => {
  it('draws every API within its range, the same for the same seed', () => {
    const a = new LatencyModel(1);
    const b = new LatencyModel(1);
    for (const [api, r] of Object.entries(AWS_LATENCY_MS)) {
      for (let k = 0; k < 20; k++) {
        const x = a.draw(api);
        expect(x).toBeGreaterThanOrEqual(r.minMs);
        expect(x).toBeLessThanOrEqual(r.maxMs);
        expect(b.draw(api)).toBe(x);
      }
    }
  });

  it('refuses an API it has no range for', () => {
    expect(() => new LatencyModel(1).draw('RunInstances')).toThrow('no modelled latency for AWS API RunInstances');
  });

  it('reads are not mutations', () => {
    expect(['GetItem', 'BatchGetItem', 'Query', 'DescribeInstances', 'DescribeWarmPool'].map(isMutating)).toEqual([false, false, false, false, false]);
    expect(['PutItem', 'TransactWriteItems', 'SetDesiredCapacity', 'PutEvents'].map(isMutating)).toEqual([true, true, true, true]);
  });
});

describe('modelStateStore', () => {
  const forecast = (id: string): Forecast => ({ kind: 'unknown', instanceId: instanceId(id), madeAt: 0, reason: 'test' }) as unknown as Forecast;

  it('a forecast read waits one BatchGetItem per 100 keys, one after another, and counts the items found', async () => {
    const ports = createInMemoryPorts({ now: 0 });
    await ports.stateStore.putForecasts(Array.from({ length: 150 }, (_, k) => forecast(`i-${k}`)));
    const time = new VirtualTime(0);
    const aws = new ModelledAws(time, new LatencyModel(3));
    const store = modelStateStore(ports.stateStore, aws);
    const found = await time.run(() => aws.within('n1', () => store.getForecasts(Array.from({ length: 250 }, (_, k) => instanceId(`i-${k}`)))));
    expect(found.size).toBe(150);
    expect(aws.calls.map((c) => c.api)).toEqual(['BatchGetItem', 'BatchGetItem', 'BatchGetItem']);
    expect(aws.calls.reduce((n, c) => n + c.itemsRead, 0)).toBe(150);
    expect(aws.calls.every((c) => c.notice === 'n1')).toBe(true);
    for (let k = 1; k < aws.calls.length; k++) expect(aws.calls[k]!.startedAt).toBeGreaterThanOrEqual(aws.calls[k - 1]!.endedAt);
  });

  it('a pool read is the pool item, the reservation Query and the pool item again', async () => {
    const ports = createInMemoryPorts({ now: 0 });
    const g = groupId('g');
    await ports.stateStore.putPoolCapacity(g, { vcpu: 8, memoryGiB: 32, networkMbps: 1000, diskIops: 1000 });
    const time = new VirtualTime(0);
    const aws = new ModelledAws(time, new LatencyModel(3));
    await time.run(() => modelStateStore(ports.stateStore, aws).getPool(g));
    expect(aws.calls.map((c) => [c.api, c.itemsRead])).toEqual([
      ['GetItem', 1],
      ['Query', 0],
      ['GetItem', 1],
    ]);
  });
});

describe('summarizeNotice', () => {
  const call = (api: string, startedAt: number, endedAt: number, itemsRead = 0): ModelledCall => ({
    api,
    startedAt,
    endedAt,
    mutating: isMutating(api),
    itemsRead,
    notice: 'n',
  });

  it('times the first and last action calls from the invocation; the idempotency mark and publishing are not actions', () => {
    const calls = [
      call('GetItem', 0, 5, 1),
      call('BatchGetItem', 5, 20, 3),
      call('PutItem', 20, 25),
      call('TransactWriteItems', 25, 50),
      call('SetDesiredCapacity', 50, 400),
      call('PutEvents', 400, 450),
    ];
    expect(calls.filter(isActionCall).map((c) => c.api)).toEqual(['TransactWriteItems', 'SetDesiredCapacity']);
    expect(summarizeNotice(calls, -10, 460)).toEqual({ firstMutationMs: 35, lastActionMs: 410, handlerMs: 470, stateReads: 4, calls: 6 });
  });

  it('a notice without action calls has no action times', () => {
    expect(summarizeNotice([call('GetItem', 0, 5, 1)], 0, 10)).toMatchObject({ firstMutationMs: undefined, lastActionMs: undefined });
  });
});
