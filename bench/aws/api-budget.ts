import { EC2_THROTTLE_BUDGETS, TokenBucket, type ThrottleCategory } from '../../lambda/sim/api-throttle';
import type { RecordedAwsCall } from './cloud-backed-clients';

/**
 * The request-rate budgets of DESIGN.md §1 (lambda/sim/api-throttle.ts holds them as token buckets):
 * RunInstances/StartInstances burst 5 then 2/s, other mutating calls burst 50 then 5/s, describe calls
 * burst 100 then 20/s. EC2 documents these per account and action category. Auto Scaling publishes no
 * token-bucket figures, so its calls are held to the same categories in a bucket set of their own (it is
 * a separate service with separate limits) — a stand-in, stated wherever the figures are shown.
 */
export const API_CATEGORY: Readonly<Record<string, ThrottleCategory>> = {
  DescribeInstances: 'describe',
  DescribeInstanceTypes: 'describe',
  RunInstances: 'launch',
  StartInstances: 'launch',
  StopInstances: 'mutating',
  ModifyInstanceAttribute: 'mutating',
  TerminateInstances: 'mutating',
  CreateTags: 'mutating',
  DescribeAutoScalingGroups: 'describe',
  DescribeAutoScalingInstances: 'describe',
  DescribeWarmPool: 'describe',
  SetDesiredCapacity: 'mutating',
  ExecutePolicy: 'mutating',
  DescribePolicies: 'describe',
  PutWarmPool: 'mutating',
  CompleteLifecycleAction: 'mutating',
  RecordLifecycleActionHeartbeat: 'mutating',
  TerminateInstanceInAutoScalingGroup: 'mutating',
};

/** Every EC2 and Auto Scaling API the adapters can call (stable figure names, zero when not called). */
export const BUDGETED_APIS = Object.keys(API_CATEGORY).filter((a) => a !== 'RunInstances');

/** One notice's AWS calls, issued one after another from the moment the notice arrived. */
export interface NoticeCalls {
  readonly arrivedAt: number;
  /** Last moment its calls may complete (the warning's 120 s lead). */
  readonly deadline: number;
  readonly calls: readonly RecordedAwsCall[];
}

export interface BudgetReport {
  /** Per API: calls made, and how many went through only after their notice's deadline. */
  readonly perApi: ReadonlyMap<string, { readonly calls: number; readonly late: number; readonly throttled: number }>;
  /** Per notice: ms from arrival until its last call went through under the budgets. */
  readonly noticeMs: readonly number[];
}

export const describeBudget = (api: string): string => {
  const category = API_CATEGORY[api];
  if (category === undefined) return 'no budget known';
  const b = EC2_THROTTLE_BUDGETS[category];
  return `burst ${b.burst}, ${b.refillPerSecond}/s`;
};

/**
 * Replays the notices' calls through the token buckets in arrival order (FIFO: a call that finds its
 * bucket empty waits for the refill, and the notice's later calls wait behind it, as with the SDK's
 * adaptive retry) and reports, per API, the calls that would only go through after their notice's
 * deadline. An unknown API is an error: every call the adapters make must have a budget.
 */
export const replayAgainstBudgets = (notices: readonly NoticeCalls[]): BudgetReport => {
  const sorted = [...notices].sort((a, b) => a.arrivedAt - b.arrivedAt);
  const start = sorted[0]?.arrivedAt ?? 0;
  const buckets = new Map<string, TokenBucket>();
  const bucketOf = (call: RecordedAwsCall): TokenBucket => {
    const category = API_CATEGORY[call.api];
    if (category === undefined) throw new RangeError(`no API budget known for ${call.service} ${call.api}`);
    const key = `${call.service}/${category}`;
    let b = buckets.get(key);
    if (b === undefined) buckets.set(key, (b = new TokenBucket(EC2_THROTTLE_BUDGETS[category], start)));
    return b;
  };
  const perApi = new Map<string, { calls: number; late: number; throttled: number }>();
  const noticeMs: number[] = [];
  for (const n of sorted) {
    let cursor = n.arrivedAt;
    for (const call of n.calls) {
      const wentThrough = bucketOf(call).take(cursor);
      const entry = perApi.get(call.api) ?? { calls: 0, late: 0, throttled: 0 };
      entry.calls += 1;
      if (wentThrough > cursor) entry.throttled += 1;
      if (wentThrough > n.deadline) entry.late += 1;
      perApi.set(call.api, entry);
      cursor = wentThrough;
    }
    noticeMs.push(cursor - n.arrivedAt);
  }
  return { perApi, noticeMs };
};
