import { AdaptiveRetryStrategy, DefaultRateLimiter, retryMiddleware } from '@smithy/core/retry';
import { DEFAULT_MAX_ATTEMPTS } from '../../../lambda/adapters/aws-clients';
import { translateAwsError } from '../../../lambda/adapters/errors';
import type { Random } from '../../../lambda/core/domain';

/**
 * AWS faults under the SDK's own retries, in simulated time.
 *
 * Each port method of an in-memory fake stands for one AWS API call. A call goes through the REAL retry
 * middleware of the AWS SDK v3 (@smithy/core/retry) with the REAL AdaptiveRetryStrategy and the
 * attempts every spotwise client is configured with (lambda/adapters/aws-clients.ts: adaptive mode,
 * DEFAULT_MAX_ATTEMPTS): the SDK decides what is retryable, how long to back off (exponential with
 * jitter, longer for throttling) and when its retry quota or client-side rate limiter makes a caller
 * wait. Every attempt takes `latencyMs` and, with probability `rate` (seeded), fails before it has any
 * effect with one of: a throttling error (EC2's RequestLimitExceeded, Auto Scaling's Throttling, the
 * others' ThrottlingException), HTTP 500 or HTTP 503. An error still standing after the last attempt is
 * translated as the adapters translate it (translateAwsError: ThrottledError, AwsCallError).
 *
 * Time is vitest's fake timers: the SDK's sleeps, the rate limiter's `Date.now()` and the latency all
 * run on them, so a test measures what the retries cost in simulated seconds, in milliseconds of real time.
 */
export type Service = 'ec2' | 'autoscaling' | 'dynamodb' | 'eventbridge' | 'scheduler';

const THROTTLE_CODE: Readonly<Record<Service, string>> = {
  ec2: 'RequestLimitExceeded',
  autoscaling: 'Throttling',
  dynamodb: 'ThrottlingException',
  eventbridge: 'ThrottlingException',
  scheduler: 'ThrottlingException',
};

const INJECTED = Symbol('injected AWS fault');
export const isInjectedFault = (error: unknown): boolean => typeof error === 'object' && error !== null && INJECTED in error;

export type FaultKind = 'throttling' | 'http500' | 'http503';
export const FAULT_KINDS: readonly FaultKind[] = ['throttling', 'http500', 'http503'];

/** An error shaped as the SDK deserialises AWS's answer: `name` is the error code, `$metadata` the HTTP status. */
export const awsFault = (service: Service, kind: FaultKind): Error => {
  const [name, status, fault] =
    kind === 'throttling'
      ? [THROTTLE_CODE[service], 400, 'client']
      : kind === 'http500'
        ? ['InternalError', 500, 'server']
        : ['ServiceUnavailable', 503, 'server'];
  const error = new Error(`injected ${name} (HTTP ${status})`);
  error.name = name;
  Object.assign(error, { $fault: fault, $metadata: { httpStatusCode: status, attempts: 1 }, [INJECTED]: true });
  return error;
};

export interface FaultStats {
  calls: number;
  attempts: number;
  faults: number;
  /** Calls that still failed after the SDK's last attempt. */
  exhausted: number;
  readonly byKind: Record<FaultKind, number>;
}

export const emptyStats = (): FaultStats => ({ calls: 0, attempts: 0, faults: 0, exhausted: 0, byKind: { throttling: 0, http500: 0, http503: 0 } });

export interface FaultPlan {
  /** Share of attempts that fail (0..1). */
  readonly rate: number;
  readonly random: Random;
  /** Simulated time one attempt takes (a round trip to the AWS API). */
  readonly latencyMs: number;
  readonly stats: FaultStats;
  /** Operations that always fail, whatever `rate` says (an outage). */
  readonly outage?: ReadonlySet<string>;
}

/**
 * The adaptive rate limiter waits in a loop until its token bucket refills, sleeping (1 − tokens) / rate
 * seconds, which can be a fraction of a millisecond. Node runs such a timer after at least 1 ms (delays
 * below 1 are set to 1), so the clock moves and the bucket refills; fake timers would fire it at the
 * same millisecond, forever. The limiter takes its timer from a static hook (`setTimeoutFn`, private in
 * the type declarations but there to be replaced): it is given Node's rule.
 */
(DefaultRateLimiter as unknown as { setTimeoutFn: (fn: () => void, delay: number) => unknown }).setTimeoutFn = (fn, delay) =>
  setTimeout(fn, Math.max(1, delay));

/** One client's retry state: a Lambda container's SDK client keeps its strategy (quota, rate limiter) across calls. */
export const createRetryStrategy = (): AdaptiveRetryStrategy => new AdaptiveRetryStrategy(DEFAULT_MAX_ATTEMPTS);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `port` with every named async method sent through the SDK retry middleware under `plan`'s faults.
 * `operation` names the call in errors, as the adapters do.
 */
export const withSdkRetries = <T extends object>(
  port: T,
  methods: readonly (keyof T & string)[],
  service: Service,
  strategy: AdaptiveRetryStrategy,
  plan: FaultPlan,
): T => {
  const wrapped = Object.create(port) as T;
  const config = { maxAttempts: async () => DEFAULT_MAX_ATTEMPTS, retryStrategy: async () => strategy };
  for (const method of methods) {
    const original = (port[method] as (...a: unknown[]) => Promise<unknown>).bind(port);
    (wrapped as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      plan.stats.calls += 1;
      const attempt = async () => {
        plan.stats.attempts += 1;
        await sleep(plan.latencyMs);
        if (plan.outage?.has(`${service}.${method}`) === true || plan.random() < plan.rate) {
          const kind =
            plan.outage?.has(`${service}.${method}`) === true ? 'http503' : (FAULT_KINDS[Math.floor(plan.random() * FAULT_KINDS.length)] as FaultKind);
          plan.stats.faults += 1;
          plan.stats.byKind[kind] += 1;
          throw awsFault(service, kind);
        }
        const value = await original(...args);
        return { response: {}, output: { $metadata: {}, value } };
      };
      const handler = retryMiddleware(config)(attempt as never, {} as never) as unknown as (args: unknown) => Promise<{ output: { value: unknown } }>;
      try {
        const { output } = await handler({ input: {}, request: {} });
        return output.value;
      } catch (error) {
        // A refusal of the fake itself (e.g. stopping a Spot instance) is not retryable and not a fault.
        if (isInjectedFault(error)) plan.stats.exhausted += 1;
        throw translateAwsError(`${service} ${method} (reliability fault injection)`, error);
      }
    };
  }
  return wrapped;
};
