import type { Action, InstanceId } from '../core/domain';
import type { InstanceGateway } from '../ports/instance-gateway';
import type { WarmClaimStore } from '../ports/state-store';
import { writeWarmPool, type WarmPoolWriterPorts } from './warm-pool-writer';

export type StageWarmInstance = Extract<Action, { kind: 'stage-warm-instance' }>;

export interface StageWarmInstancePorts extends WarmPoolWriterPorts {
  readonly instances: Pick<InstanceGateway, 'retypeStoppedInstance'>;
  readonly state: WarmPoolWriterPorts['state'] & WarmClaimStore;
}

/** The port's refusal of a retype (InstanceGateway.retypeStoppedInstance: every implementation throws this name). */
export const isNotStopped = (error: unknown): boolean => error instanceof Error && error.name === 'InstanceNotStoppedError';

/**
 * Stages one warm instance for a rebalance recommendation's victim (the plan: lambda/core/planner/plan-rebalance.ts).
 * Goes down the candidates in order and claims the first no other victim holds a live claim on — a claim the plan found
 * no longer standing (`supersedes`) is claimed over — (one conditional write each: of recommendations planned from the
 * same snapshot, each gets its own instance):
 * - a candidate that covers the load already is only claimed;
 * - a stopped one that does not is retyped to `toType` once claimed. EC2 refusing because the instance is not stopped any
 *   more (a concurrent warning started it) gives the claim up and goes on to the next candidate.
 * When every candidate is claimed by other victims, one more warm instance is asked for when the plan allowed it
 * (`raise`: the pool was not already growing, and had room), through the group's warm-pool lease.
 *
 * Returns what happened, for the action's outcome; other AWS errors propagate (the action fails) after the claim just
 * taken is given up. A claim that cannot be given up (DynamoDB failing) stands until its `until`, keeping the instance
 * from other victims that long: the outcome names it (or, when the action fails, the error's message does).
 */
export const stageWarmInstance = async (action: StageWarmInstance, ports: StageWarmInstancePorts): Promise<string> => {
  const { groupId, victimId } = action;
  const taken: string[] = [];
  const started: string[] = [];
  const stuck: string[] = [];
  const others = (): string =>
    [taken.length > 0 ? `${taken.join(', ')} claimed for other victims` : '', started.length > 0 ? `${started.join(', ')} no longer stopped` : '', ...stuck]
      .filter((s) => s !== '')
      .join('; ');
  /** Gives the claim on `instance` back; says so when that fails (it then runs out at `until`). */
  const giveBack = async (instance: InstanceId): Promise<void> => {
    try {
      await ports.state.releaseWarmClaim(groupId, instance, victimId);
    } catch (error) {
      stuck.push(
        `the claim on ${instance} could not be given back (${error instanceof Error ? error.message : String(error)}): it holds until ${new Date(action.until).toISOString()}`,
      );
    }
  };
  const after = (): string => (taken.length + started.length > 0 ? ` (${others()})` : '');
  for (const c of action.candidates) {
    const claimed = await ports.state.claimWarmInstance({ groupId, instanceId: c.instanceId, victimId, until: action.until }, ports.clock.now(), c.supersedes);
    if (!claimed) {
      taken.push(c.instanceId);
      continue;
    }
    if (c.covers) return `claimed warm ${c.fromType} ${c.instanceId} for ${victimId}: it covers the load already${after()}`;
    try {
      await ports.instances.retypeStoppedInstance(c.instanceId, action.toType);
    } catch (error) {
      // The claim is given up whatever happened: the instance was not staged. A failed give-up lets it run out.
      await giveBack(c.instanceId);
      if (!isNotStopped(error)) {
        if (stuck.length > 0 && error instanceof Error) error.message = `${error.message}; ${stuck.join('; ')}`;
        throw error;
      }
      started.push(c.instanceId);
      continue;
    }
    return `claimed warm ${c.instanceId} for ${victimId} and retyped it ${c.fromType} → ${action.toType}${after()}`;
  }
  const none = action.candidates.length === 0 ? 'no candidate' : `no candidate free: ${others()}`;
  if (!action.raise) return `nothing staged for ${victimId}: ${none}; the warm pool is already growing or has no room`;
  const raised = await writeWarmPool({ kind: 'raise-warm-pool', groupId, by: 1, room: action.room, reason: action.reason }, ports);
  return `one more warm instance asked for ${victimId}: ${none}${raised !== undefined ? `; ${raised}` : ''}`;
};
