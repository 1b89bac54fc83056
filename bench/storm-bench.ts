import { AutoScalingCapacityGateway } from '../lambda/adapters/autoscaling-capacity-gateway';
import { Ec2InstanceGateway, priceTableFromSpecs } from '../lambda/adapters/ec2-instance-gateway';
import { SPOT_WARNING_LEAD_SECONDS } from '../lambda/contracts/events';
import { DIMENSIONS, instanceId } from '../lambda/core/domain';
import { overCommitment } from '../lambda/core/pool/resource-pool';
import { makeHandler, type NoticeDeps } from '../lambda/handlers/notice';
import { DEFAULT_INTERRUPTION_PARAMS, selectVictims } from '../lambda/sim/interruption-model';
import { spotWarningEvent } from '../lambda/sim/strategies/sim-events';
import { BUDGETED_APIS, describeBudget, replayAgainstBudgets, type NoticeCalls } from './aws/api-budget';
import { createCloudBackedClients } from './aws/cloud-backed-clients';
import { progress, type BenchResult } from './bench-result';
import { PRIMARY_GROUP } from './fleet/synthetic-fleet';
import { checkedTarget, figure, lessThan, type Figure } from './figures';
import { buildNoticeWorld } from './notice-world';

/**
 * Interruption storm (DESIGN.md §1: interruptions of one pool land within ~3 minutes): a pool of 200 Spot
 * instances (one type, one AZ) is reclaimed whole; the warnings arrive spread as the simulator spreads
 * them (exponential, mean 60 s), clipped to 3 minutes. Each warning goes to the real notice handler with
 * the REAL EC2 and Auto Scaling adapters over SDK clients answered from the in-memory cloud, so the calls
 * counted per API are the ones spotwise would send — paging, batching and caches included.
 *
 * Every notice runs in a cold container (fresh adapters, empty caches): the worst case for API calls,
 * as if Lambda had started a new container for each of the 200 concurrent events.
 *
 * The calls are then replayed through the API budgets (bench/aws/api-budget.ts): a figure passes when no
 * call of that API would go through after its notice's 120-second deadline.
 */
export const STORM_POOL_SIZE = 200;
const STORM_SPREAD_SECONDS = 180;
const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);

export interface StormMeasurement {
  readonly planMs: number;
  readonly notices: readonly NoticeCalls[];
  readonly handled: number;
  readonly overCommitted: boolean;
}

export const measureStorm = async (size = STORM_POOL_SIZE, seed = 11): Promise<StormMeasurement> => {
  const world = await buildNoticeWorld({ instances: size, now: NOW, seed, types: ['m5.large'], azs: ['us-east-1a'], warmInstances: Math.max(2, Math.round(size / 10)) });
  const clients = createCloudBackedClients(world.ports.cloud);
  try {
    const burst = { id: 'storm', instanceType: 'm5.large', availabilityZone: 'us-east-1a', at: NOW + 60_000, reclaimShare: 1, seed };
    const victims = selectVictims(burst, world.fleet.primary.map((i) => i.id), { ...DEFAULT_INTERRUPTION_PARAMS, warningSpreadMaxSeconds: STORM_SPREAD_SECONDS });
    if (victims.length !== size) throw new Error(`storm: expected the whole pool of ${size} to be warned, got ${victims.length}`);
    const prices = priceTableFromSpecs(world.fleet.catalogSpecs);
    const notices: NoticeCalls[] = [];
    let planMs = 0;
    let handled = 0;
    for (const v of victims) {
      world.ports.clock.set(v.warningAt);
      // A cold container per notice: new adapters, so no cached group lookups or instance types.
      const deps: NoticeDeps = {
        ...world.deps,
        ports: {
          ...world.deps.ports,
          instances: new Ec2InstanceGateway(clients.ec2, { prices, defaultPriority: (g) => world.fleet.managed.groups.get(g)?.policy.priority }),
          capacity: new AutoScalingCapacityGateway(clients.autoScaling),
        },
      };
      const before = clients.calls.length;
      const started = performance.now();
      const result = await makeHandler(deps)(spotWarningEvent(instanceId(v.instanceId), v.warningAt));
      planMs += performance.now() - started;
      if (result.status === 'planned' && result.succeeded) handled += 1;
      notices.push({ arrivedAt: v.warningAt, deadline: v.warningAt + SPOT_WARNING_LEAD_SECONDS * 1000, calls: clients.calls.slice(before) });
    }
    const pool = world.ports.stateStore.poolSnapshot(PRIMARY_GROUP);
    const over = pool === undefined ? undefined : overCommitment(pool);
    return { planMs, notices, handled, overCommitted: over === undefined || DIMENSIONS.some((d) => over[d] > 0) };
  } finally {
    clients.restore();
  }
};

export const runStormBench = async (): Promise<BenchResult> => {
  progress(`storm: a pool of ${STORM_POOL_SIZE} instances warned within ${STORM_SPREAD_SECONDS / 60} minutes`);
  const m = await measureStorm();
  const report = replayAgainstBudgets(m.notices);
  const figures: Figure[] = [figure(`storm.planSeconds.${STORM_POOL_SIZE}`, m.planMs / 1000, 's', lessThan(SPOT_WARNING_LEAD_SECONDS, 's'))];
  for (const api of BUDGETED_APIS) {
    const r = report.perApi.get(api) ?? { calls: 0, late: 0, throttled: 0 };
    figures.push(figure(`storm.calls.${api}`, r.calls, 'calls', checkedTarget(`each within its notice's ${SPOT_WARNING_LEAD_SECONDS} s (${describeBudget(api)})`, r.late === 0)));
  }
  const worst = Math.max(...report.noticeMs);
  figures.push(figure(`storm.worstNoticeSeconds.${STORM_POOL_SIZE}`, worst / 1000, 's', lessThan(SPOT_WARNING_LEAD_SECONDS, 's')));
  const throttled = [...report.perApi.entries()].filter(([, r]) => r.throttled > 0).map(([api, r]) => `${api} ${r.throttled}`);
  const notes = [
    `storm: ${m.handled} of ${STORM_POOL_SIZE} warnings planned and executed without a failed action; the pool ${m.overCommitted ? 'WAS over-committed' : 'was never over-committed'}; ` +
      `each notice ran in a cold container (no adapter caches), the worst case for API calls; calls that had to wait for a token: ${throttled.length === 0 ? 'none' : throttled.join(', ')}.`,
    'storm budgets: EC2 APIs are held to DESIGN.md §1; Auto Scaling APIs, which publish no token-bucket figures, to the same categories in a bucket set of their own.',
  ];
  return { figures, notes };
};
