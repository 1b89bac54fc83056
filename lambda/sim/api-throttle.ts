/**
 * EC2's request-rate limits as token buckets (EC2 API reference, "Request throttling"): a bucket holds up
 * to `burst` tokens, refills `refillPerSecond`, and each call takes one. A call that finds the bucket empty
 * is throttled; with the SDK's adaptive retry it succeeds once a token is back, so the simulator delays the
 * call's effect to that time instead of failing it, and counts it.
 */
export interface ThrottleBudget {
  readonly burst: number;
  readonly refillPerSecond: number;
}

/** DESIGN.md §1: RunInstances/StartInstances, other mutating calls, describe calls. */
export const EC2_THROTTLE_BUDGETS = {
  launch: { burst: 5, refillPerSecond: 2 },
  mutating: { burst: 50, refillPerSecond: 5 },
  describe: { burst: 100, refillPerSecond: 20 },
} as const satisfies Record<string, ThrottleBudget>;
export type ThrottleCategory = keyof typeof EC2_THROTTLE_BUDGETS;

export class TokenBucket {
  private tokens: number;
  private at: number;
  /** Calls that had to wait, and the total wait. */
  throttled = 0;
  waitedMs = 0;

  constructor(
    readonly budget: ThrottleBudget,
    start: number,
  ) {
    if (!(budget.burst >= 1 && budget.refillPerSecond > 0))
      throw new RangeError(`throttle budget needs burst ≥ 1 and refillPerSecond > 0 (got ${JSON.stringify(budget)})`);
    this.tokens = budget.burst;
    this.at = start;
  }

  /**
   * Takes one token for a call made at `now` (calls must come in time order) and returns when the call
   * goes through: `now`, or later when the bucket was empty. Time spent waiting is time the bucket refills,
   * so a queue of calls drains at exactly the refill rate.
   */
  take(now: number): number {
    const t = Math.max(now, this.at);
    this.tokens = Math.min(this.budget.burst, this.tokens + ((t - this.at) / 1000) * this.budget.refillPerSecond);
    this.at = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return t;
    }
    const waitMs = Math.ceil(((1 - this.tokens) / this.budget.refillPerSecond) * 1000);
    this.tokens = 0;
    this.at = t + waitMs;
    this.throttled += 1;
    this.waitedMs += this.at - now;
    return this.at;
  }
}
