import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_CATEGORY, BUDGETED_APIS, describeBudget, replayAgainstBudgets, type NoticeCalls } from '../../../bench/aws/api-budget';
import type { RecordedAwsCall } from '../../../bench/aws/cloud-backed-clients';
import { EC2_THROTTLE_BUDGETS } from '../../../lambda/sim/api-throttle';

const ec2 = (api: string): RecordedAwsCall => ({ service: 'ec2', api });
const asg = (api: string): RecordedAwsCall => ({ service: 'autoscaling', api });
const notice = (arrivedAt: number, calls: RecordedAwsCall[], leadMs = 120_000): NoticeCalls => ({ arrivedAt, deadline: arrivedAt + leadMs, calls });

describe('API budgets', () => {
  it('every API the adapters can call has a budget, described in words', () => {
    expect(BUDGETED_APIS).toContain('StartInstances');
    expect(BUDGETED_APIS).not.toContain('RunInstances');
    expect(describeBudget('StartInstances')).toBe('burst 5, 2/s');
    expect(describeBudget('SetDesiredCapacity')).toBe('burst 50, 5/s');
    expect(describeBudget('DescribeInstances')).toBe('burst 100, 20/s');
    expect(describeBudget('Nope')).toBe('no budget known');
    for (const api of BUDGETED_APIS) expect(API_CATEGORY[api]).toBeDefined();
  });

  it.each([
    // StartInstances: burst 5, then 2/s. The n-th call at t=0 goes through at (n − 5) / 2 s: the 245th at 120 s, the 246th too late.
    ['StartInstances', 245, 0],
    ['StartInstances', 246, 1],
    ['StartInstances', 300, 55],
    // Other mutating calls: burst 50, then 5/s → 50 + 600 on time.
    ['SetDesiredCapacity', 650, 0],
    ['SetDesiredCapacity', 651, 1],
    // Describes: burst 100, then 20/s → 100 + 2,400 on time.
    ['DescribeInstances', 2_500, 0],
    ['DescribeInstances', 2_510, 10],
  ])('%s × %d calls at once: %d go through after the 120 s deadline', (api, n, late) => {
    const report = replayAgainstBudgets(Array.from({ length: n }, () => notice(0, [ec2(api)])));
    expect(report.perApi.get(api)).toMatchObject({ calls: n, late });
  });

  it("a notice's calls are sequential: a throttled call delays the ones after it", () => {
    const calls = [...Array.from({ length: 6 }, () => ec2('StartInstances')), ec2('DescribeInstances')];
    const report = replayAgainstBudgets([notice(1_000, calls)]);
    // The 6th start waits 500 ms for a token; the describe after it starts then.
    expect(report.noticeMs).toEqual([500]);
    expect(report.perApi.get('StartInstances')).toMatchObject({ calls: 6, throttled: 1, late: 0 });
    expect(report.perApi.get('DescribeInstances')).toMatchObject({ calls: 1, throttled: 0 });
  });

  it('EC2 and Auto Scaling have separate buckets', () => {
    const report = replayAgainstBudgets([
      notice(0, [...Array.from({ length: 100 }, () => ec2('DescribeInstances')), ...Array.from({ length: 100 }, () => asg('DescribeAutoScalingGroups'))]),
    ]);
    expect(report.perApi.get('DescribeInstances')?.throttled).toBe(0);
    expect(report.perApi.get('DescribeAutoScalingGroups')?.throttled).toBe(0);
  });

  it('refuses a call it has no budget for', () => {
    expect(() => replayAgainstBudgets([notice(0, [ec2('RebootInstances')])])).toThrow('no API budget known for ec2 RebootInstances');
  });

  it('property: calls spread no faster than the refill rate are never throttled; a burst beyond burst + rate × lead is always late', () => {
    fc.assert(
      fc.property(fc.constantFrom('launch', 'mutating', 'describe'), fc.integer({ min: 1, max: 400 }), (category, n) => {
        const api = BUDGETED_APIS.find((a) => API_CATEGORY[a] === category) as string;
        const b = EC2_THROTTLE_BUDGETS[category];
        const gap = Math.ceil(1000 / b.refillPerSecond);
        const spread = replayAgainstBudgets(Array.from({ length: n }, (_, i) => notice(i * gap, [ec2(api)])));
        expect(spread.perApi.get(api)?.throttled).toBe(0);
        const onTime = b.burst + b.refillPerSecond * 120;
        const burst = replayAgainstBudgets(Array.from({ length: onTime + n }, () => notice(0, [ec2(api)])));
        expect(burst.perApi.get(api)?.late).toBe(n);
      }),
      { numRuns: 30 },
    );
  });
});
