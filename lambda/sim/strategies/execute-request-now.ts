import type { InstanceId, InterruptionRequest } from '../../core/domain';
import type { StrategyHooks } from '../engine/sim-types';
import type { SimWorld } from '../engine/sim-world';

/**
 * How the baseline strategies treat a priority interruption request: no coordinator, no reservation — at
 * notBefore the oldest serving member of the group (rolling maintenance goes oldest first) is terminated
 * through Auto Scaling without decrementing desired capacity, so the group launches a replacement at
 * once. The disruption budget is not consulted; the world counts a violation when it had no room.
 * Returns the victim, or undefined when the group had no serving member to take.
 */
export const executeRequestNow = async (world: SimWorld, request: InterruptionRequest, hooks: StrategyHooks): Promise<InstanceId | undefined> => {
  const selector = request.selector;
  const candidates = world.instances().filter((i) => {
    if (selector.kind === 'instance' ? i.id !== selector.instanceId : i.groupId !== selector.groupId || i.priority > selector.maxPriority) return false;
    const m = world.meta.get(i.id);
    return world.isServing(i.id) && m?.doomedAt === undefined && !m?.voluntary && world.workloads.some((w) => w.host === i.id);
  });
  candidates.sort((a, b) => a.launchedAt - b.launchedAt || a.id.localeCompare(b.id));
  const victim = candidates[0];
  if (victim === undefined) return undefined;
  world.recordVoluntaryDisruption(victim.id);
  world.buckets.mutating.take(world.now());
  await world.terminate(victim.id, hooks, 'api');
  await world.reconcile(hooks);
  return victim.id;
};
