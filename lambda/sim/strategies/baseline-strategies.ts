import type { InstanceId, InterruptionRequest } from '../../core/domain';
import type { SimWorld, StrategyHooks } from '../engine/sim-world';
import { executeRequestNow } from './execute-request-now';

/** Request counts every strategy reports (baselines admit everything at once). */
export interface RequestCounts {
  requestsAdmitted: number;
  requestsDeferred: number;
  requestsUnserved: number;
}

export interface SimStrategy extends StrategyHooks {
  readonly description: string;
  requestCounts(): RequestCounts;
}

const requestHandling = (): Pick<SimStrategy, 'onRequest' | 'requestCounts'> & { counts: RequestCounts } => {
  const counts: RequestCounts = { requestsAdmitted: 0, requestsDeferred: 0, requestsUnserved: 0 };
  return {
    counts,
    async onRequest(this: StrategyHooks, world: SimWorld, request: InterruptionRequest) {
      const victim = await executeRequestNow(world, request, this);
      if (victim === undefined) counts.requestsUnserved += 1;
      else counts.requestsAdmitted += 1;
    },
    requestCounts: () => ({ ...counts }),
  };
};

/** `none`: nothing reacts; Auto Scaling replaces a reclaimed instance after its health check notices. */
export const createNoneStrategy = (): SimStrategy => {
  const requests = requestHandling();
  return {
    name: 'none',
    description: 'no manager: Auto Scaling replaces an instance only after it is gone',
    onRequest: requests.onRequest,
    requestCounts: requests.requestCounts,
  };
};

/** `reactive`: on the 2-minute warning, launch a same-size replacement (a termination handler + ASG). */
export const createReactiveStrategy = (): SimStrategy => {
  const requests = requestHandling();
  return {
    name: 'reactive',
    description: 'launch a same-size replacement on the Spot warning',
    async onWarning(world: SimWorld, id: InstanceId) {
      await world.launchReplacementFor(id, this);
    },
    onRequest: requests.onRequest,
    requestCounts: requests.requestCounts,
  };
};

/**
 * `rebalance`: like Auto Scaling capacity rebalancing — on a rebalance recommendation launch a replacement,
 * move the workload once it is in service, then terminate the at-risk instance; a warning that comes
 * without an earlier recommendation is handled like `reactive`.
 */
export const createRebalanceStrategy = (): SimStrategy => {
  const requests = requestHandling();
  return {
    name: 'rebalance',
    description: 'launch on the rebalance recommendation, move, then terminate (ASG capacity rebalancing)',
    async onRebalanceRecommendation(world: SimWorld, id: InstanceId) {
      await world.launchReplacementFor(id, this);
      world.drain(id);
    },
    async onWarning(world: SimWorld, id: InstanceId) {
      await world.launchReplacementFor(id, this);
    },
    onRequest: requests.onRequest,
    requestCounts: requests.requestCounts,
  };
};
